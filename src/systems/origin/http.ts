/**
 * The HTTP origin: one handler, written against the request/response API that node:http and the
 * node:http2 compatibility layer share, served as HTTP/1.1 and h2c on the same port.
 *
 *   /echo          the request body streamed back; content-type and every x-echo-* header copied
 *   /bytes/N       N pattern bytes (byte i = i mod 256)
 *   /delay/MS      waits MS ms, then answers as /echo does
 *   /status/CODE   that status with a short text body (none for 204 and 304)
 */
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createH2cServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { listenDual } from '../dual-listener.ts';
import { injectCpu } from '../inject-cpu.ts';
import { patternBytes } from '../../wire/payload.ts';
import { type Running, urlFor } from '../serve.ts';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Largest /bytes reply: big enough for payload-size sweeps, small enough that a typo cannot exhaust memory. */
export const MAX_BYTES = 64 * 1024 * 1024;
/** Longest /delay: a minute is more than any scenario waits for one response. */
export const MAX_DELAY_MS = 60_000;
/** Headers with this prefix are copied from request to response, so a tunnel test can see them pass through. */
export const ECHO_HEADER_PREFIX = 'x-echo-';
/** Per-session buffer limit in MB (Node's 10 MB default resets streams under heavy concurrent load). */
const H2_MAX_SESSION_MEMORY_MB = 64;

export function originRequestHandler(): (req: Req, res: Res) => void {
  return (req, res) => {
    injectCpu();
    // A client that goes away mid-request surfaces as errors here; there is nobody left to answer.
    req.on('error', ignore);
    res.on('error', ignore);
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const slash = path.indexOf('/', 1);
    const route = slash < 0 ? path : path.slice(0, slash);
    const arg = slash < 0 ? undefined : path.slice(slash + 1);

    if (path === '/echo') return echo(req, res);
    if (route === '/bytes' && arg !== undefined) {
      const n = parseCount(arg, MAX_BYTES);
      if (n === undefined) return text(res, 400, `bad byte count '${arg}' in ${path}: must be an integer from 0 to ${MAX_BYTES}`);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
      res.end(patternBytes(n));
      return;
    }
    if (route === '/delay' && arg !== undefined) {
      const ms = parseCount(arg, MAX_DELAY_MS);
      if (ms === undefined) return text(res, 400, `bad delay '${arg}' in ${path}: must be an integer number of ms from 0 to ${MAX_DELAY_MS}`);
      const timer = setTimeout(() => echo(req, res), ms);
      res.once('close', () => clearTimeout(timer));
      return;
    }
    if (route === '/status' && arg !== undefined) return status(res, path, arg);
    text(res, 404, `not found: ${path} (try /echo, /bytes/N, /delay/MS, /status/CODE)`);
  };
}

function echo(req: Req, res: Res): void {
  res.statusCode = 200;
  res.setHeader('content-type', req.headers['content-type'] ?? 'application/octet-stream');
  for (const [name, value] of Object.entries(req.headers)) {
    if (name.startsWith(ECHO_HEADER_PREFIX) && value !== undefined) res.setHeader(name, value);
  }
  // pipe, not pipeline: the http2 compat response is not a Writable, and an error must not destroy the
  // other side from here (the servers do that themselves when the connection or stream goes away).
  req.pipe(res as NodeJS.WritableStream);
}

function status(res: Res, path: string, arg: string): void {
  const code = parseCount(arg, 599);
  if (code === undefined || code < 100) return text(res, 400, `bad status '${arg}' in ${path}: must be an integer from 100 to 599`);
  if (code < 200) {
    // A 1xx is informational: an HTTP/1.1 client keeps waiting for the final response after it, and
    // HTTP/2 refuses to send one as a final status at all.
    return text(res, 400, `status ${code} in ${path} is informational (1xx) and cannot end a response; use 200 to 599`);
  }
  if (code === 204 || code === 304) {
    res.writeHead(code);
    res.end();
    return;
  }
  text(res, code, `status ${code}`);
}

function text(res: Res, code: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A decimal integer from 0 to max, or undefined (no signs, exponents, fractions or blanks). */
function parseCount(raw: string, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n <= max ? n : undefined;
}

function ignore(): void {}

/** Serves the HTTP origin on host:port (HTTP/1.1 and h2c prior knowledge); urls.http is its address. */
export async function startOriginHttp(host: string, port: number): Promise<Running> {
  const handler = originRequestHandler();
  const http1 = createHttp1Server({ keepAliveTimeout: 60_000 }, handler);
  const http2 = createH2cServer({ maxSessionMemory: H2_MAX_SESSION_MEMORY_MB }, handler);
  const listener = await listenDual(http1, http2, host, port);
  return {
    urls: { http: urlFor('http', host, listener.port) },
    close: () => listener.close(),
  };
}
