/** Header handling shared by the tunnels' edges and connectors. */
import type { IncomingHttpHeaders } from 'node:http';
import type { Headers } from './types.ts';

/** RFC 9110 §7.6.1 connection-specific headers, plus the ones HTTP/2 forbids (RFC 9113 §8.2.2), plus `expect`. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
  // The public listener answered `100-continue` itself (Node does when nobody listens for checkContinue),
  // so the expectation ends at the edge; forwarded, undici refuses the request ("expect header not supported").
  'expect',
]);

/** End-to-end headers of a message: pseudo-headers and hop-by-hop headers removed, `te` only if "trailers". */
export function endToEnd(headers: IncomingHttpHeaders | Record<string, unknown>): Headers {
  const out: Headers = {};
  // HTTP/2 has no Connection header: most messages skip building the set of names it lists
  const named =
    headers.connection === undefined
      ? null
      : new Set(
          String(headers.connection)
            .toLowerCase()
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        );
  for (const rawName in headers) {
    const value = headers[rawName];
    if (value === undefined || rawName.charCodeAt(0) === 58 /* ':' */) continue;
    const name = rawName.toLowerCase();
    if (HOP_BY_HOP.has(name) || named?.has(name)) continue;
    if (name === 'te') {
      if (String(value).toLowerCase().includes('trailers')) out.te = 'trailers';
      continue;
    }
    out[name] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out;
}

/** Removes the WebSocket handshake headers that belong to one hop of the connection (key, accept, version). */
export function withoutWebSocketHandshake(headers: Headers): Headers {
  const out = { ...headers };
  delete out['sec-websocket-key'];
  delete out['sec-websocket-accept'];
  delete out['sec-websocket-version'];
  return out;
}
