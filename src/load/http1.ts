/**
 * HTTP/1.1 engine on undici: a pool of keep-alive connections, one request at a time on each
 * (no pipelining: that is what HTTP/1.1 clients do). The default for HTTP/1.1, closed and open loop:
 * it compares reply bytes exactly (autocannon, the opt-in alternative, compares decoded text).
 */
import { Pool, type Dispatcher } from 'undici';
import { bodyMatches } from './expect.ts';
import type { Expectation, Requester } from './types.ts';

export interface HttpRequestSpec {
  url: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  expect: Expectation;
  connections: number;
  timeoutMs?: number;
}

/** Bytes a request puts on the wire besides its body, roughly (request line + headers). */
export function headerBytes(spec: Pick<HttpRequestSpec, 'method' | 'path' | 'headers'>): number {
  let n = spec.method.length + spec.path.length + 12;
  for (const [k, v] of Object.entries(spec.headers ?? {})) n += k.length + v.length + 4;
  return n + 40; // host, content-length, connection
}

export function http1Requester(spec: HttpRequestSpec): Requester {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: spec.connections, pipelining: 1, keepAliveTimeout: 60_000 });
  const collect = spec.expect.body !== undefined;
  const options: Dispatcher.DispatchOptions = {
    path: spec.path,
    method: spec.method as Dispatcher.HttpMethod,
    headers: spec.headers ?? {},
    body: spec.body && spec.body.length > 0 ? Buffer.from(spec.body) : null,
    headersTimeout: spec.timeoutMs ?? 30_000,
    bodyTimeout: spec.timeoutMs ?? 30_000,
  };
  return {
    bytesOutPerRequest: headerBytes(spec) + (spec.body?.length ?? 0),
    send(done) {
      let status = 0;
      let received = 0;
      const chunks: Buffer[] | null = collect ? [] : null;
      pool.dispatch(options, {
        // onRequestStart marks this as a new-style handler for undici (it is otherwise taken for a legacy one)
        onRequestStart: () => {},
        onResponseStart: (_c, statusCode) => {
          status = statusCode;
        },
        onResponseData: (_c, chunk) => {
          received += chunk.length;
          chunks?.push(chunk);
        },
        onResponseEnd: () => {
          if (status !== spec.expect.status) return done(`status-${status}`, received);
          if (chunks && !bodyMatches(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), spec.expect.body)) return done('wrong-body', received);
          done(null, received);
        },
        onResponseError: (_c, err) => done(errorKind(err), received),
      });
    },
    close: () => pool.destroy(),
  };
}

export function errorKind(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return 'timeout';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection';
  return code ? code.toLowerCase() : 'error';
}
