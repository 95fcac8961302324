/**
 * The public side's HTTP/2 (h2c) connections, on the raw-frame session: every stream becomes one
 * exchange on the TunnelBackend — requests (gRPC included: trailers carried, a trailers-only reply kept
 * one HEADERS frame) and RFC 8441 extended CONNECT for WebSocket.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../../h2/frames.ts';
import { H2Session, type H2Stream, type HeaderFields } from '../../h2/session.ts';
import { endToEnd, withoutWebSocketHandshake } from './headers.ts';
import { relay, splice } from './splice.ts';
import { type TunnelBackend, type TunnelExchange, type TunnelRequestHead, TunnelUnavailableError } from './types.ts';

export function servePublicH2(socket: Socket, backend: TunnelBackend, log: (message: string) => void): H2Session {
  return new H2Session(socket, {
    role: 'server',
    enableConnectProtocol: true,
    onStream: (stream, headers, endStream) => {
      stream.on('error', () => {});
      const run = headers[':method'] === 'CONNECT' ? connectWebSocket(stream, headers, backend) : forwardRequest(stream, headers, endStream, backend);
      run.catch((err: unknown) => {
        log(`public HTTP/2 stream failed: ${String(err)}`);
        stream.close(ErrorCode.INTERNAL_ERROR);
      });
    },
  });
}

export function unavailable(err: unknown): [number, string] {
  if (err instanceof TunnelUnavailableError) return [err.status, err.message];
  return [502, `tunnel error: ${err instanceof Error ? err.message : String(err)}`];
}

function replyText(stream: H2Stream, status: number, message: string): void {
  if (stream.destroyed) return;
  if (stream.headSent) {
    stream.close(ErrorCode.INTERNAL_ERROR);
    return;
  }
  const body = `${message}\n`;
  stream.respond(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) });
  stream.end(body);
}

function authorityOf(headers: HeaderFields): string {
  return String(headers[':authority'] ?? headers.host ?? '');
}

async function forwardRequest(stream: H2Stream, headers: HeaderFields, endStream: boolean, backend: TunnelBackend): Promise<void> {
  const head: TunnelRequestHead = {
    kind: 'http',
    method: String(headers[':method']),
    path: String(headers[':path']),
    authority: authorityOf(headers),
    headers: endToEnd(headers),
    hasBody: !endStream,
  };
  let ex: TunnelExchange;
  try {
    ex = await backend.open(head);
  } catch (err) {
    stream.resume();
    const [status, message] = unavailable(err);
    return replyText(stream, status, message);
  }
  let finished = false;
  stream.once('close', () => {
    if (!finished) ex.abort('the public client went away');
  });
  ex.stream.on('error', (err: Error) => {
    if (finished) return;
    finished = true;
    replyText(stream, 502, `tunnel stream failed: ${err.message}`);
  });
  // Without a body the backend opened the stream already ended (END_STREAM on its HEADERS).
  if (head.hasBody) relay(stream, ex.stream, () => ex.stream.end());

  let response;
  try {
    response = await ex.response;
  } catch (err) {
    if (!finished) {
      finished = true;
      const [status, message] = unavailable(err);
      replyText(stream, status, message);
    }
    return;
  }
  if (finished) return;
  if (response.endStream) {
    finished = true;
    stream.respond(response.status, response.headers, { endStream: true });
    return;
  }
  stream.respond(response.status, response.headers);
  relay(ex.stream, stream, () => {
    if (finished) return;
    finished = true;
    const trailers = ex.trailers();
    if (trailers && Object.keys(trailers).length > 0) stream.endWithTrailers(trailers);
    else stream.end();
  });
}

/** A WebSocket client on HTTP/2 (RFC 8441): the stream itself carries the frames. */
async function connectWebSocket(stream: H2Stream, headers: HeaderFields, backend: TunnelBackend): Promise<void> {
  if (headers[':protocol'] !== 'websocket') {
    return replyText(stream, 405, 'CONNECT is only accepted with :protocol websocket; raw TCP goes to the mapped TCP port');
  }
  let ex: TunnelExchange;
  try {
    ex = await backend.open({
      kind: 'websocket',
      method: 'CONNECT',
      path: String(headers[':path'] ?? '/'),
      authority: authorityOf(headers),
      headers: withoutWebSocketHandshake(endToEnd(headers)),
      hasBody: true,
    });
  } catch (err) {
    const [status, message] = unavailable(err);
    return replyText(stream, status, message);
  }
  let response;
  try {
    response = await ex.response;
  } catch (err) {
    const [status, message] = unavailable(err);
    return replyText(stream, status, message);
  }
  if (response.status !== 200) {
    ex.abort('origin refused the WebSocket');
    return replyText(stream, response.status, `the origin refused the WebSocket with status ${response.status}`);
  }
  stream.respond(200, response.headers);
  splice(stream, ex.stream);
}
