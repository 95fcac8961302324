/**
 * The public side's HTTP/2 (h2c) connections, on the raw-frame session: every stream becomes one
 * exchange on the TunnelBackend — requests (gRPC included: trailers carried, a trailers-only reply kept
 * one HEADERS frame) and RFC 8441 extended CONNECT for WebSocket.
 */
import type { Socket } from 'node:net';
import { ErrorCode } from '../../h2/frames.ts';
import { H2Session, type H2Stream, type HeaderFields } from '../../h2/session.ts';
import { endToEnd, withoutWebSocketHandshake } from './headers.ts';
import { forwardCall, type PublicCall, unavailable } from './public-forward.ts';
import { type PublicLimits, publicSessionLimits } from './public-limits.ts';
import { splice } from './splice.ts';
import type { Headers, TunnelBackend, TunnelExchange, TunnelRequestHead } from './types.ts';

export function servePublicH2(socket: Socket, backend: TunnelBackend, log: (message: string) => void, limits: Partial<PublicLimits> = {}): H2Session {
  return new H2Session(socket, {
    role: 'server',
    ...publicSessionLimits(limits),
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

/** An h2c request as forwardCall sees it (a class: one object per request, methods shared). */
class H2Call implements PublicCall {
  readonly head: TunnelRequestHead;
  constructor(
    readonly body: H2Stream,
    headers: HeaderFields,
    endStream: boolean,
  ) {
    this.head = {
      kind: 'http',
      method: String(headers[':method']),
      path: String(headers[':path']),
      authority: authorityOf(headers),
      headers: endToEnd(headers),
      hasBody: !endStream,
    };
  }

  get out(): H2Stream {
    return this.body;
  }

  onGone(fn: () => void): void {
    this.body.once('close', fn);
  }

  replyText(status: number, message: string): void {
    replyText(this.body, status, message);
  }

  respond(status: number, headers: Headers, endStream: boolean): void {
    this.body.respond(status, headers, { endStream });
  }

  end(trailers: Headers | null): void {
    if (trailers) this.body.endWithTrailers(trailers);
    else this.body.end();
  }
}

function forwardRequest(stream: H2Stream, headers: HeaderFields, endStream: boolean, backend: TunnelBackend): Promise<void> {
  return forwardCall(new H2Call(stream, headers, endStream), backend);
}

/** A WebSocket client on HTTP/2 (RFC 8441): the stream itself carries the frames. */
async function connectWebSocket(stream: H2Stream, headers: HeaderFields, backend: TunnelBackend): Promise<void> {
  if (headers[':protocol'] !== 'websocket') {
    return replyText(stream, 405, 'CONNECT is only accepted with :protocol websocket; raw TCP goes to the mapped TCP port');
  }
  let ex: TunnelExchange;
  try {
    ex = await backend.open(
      {
        kind: 'websocket',
        method: 'CONNECT',
        path: String(headers[':path'] ?? '/'),
        authority: authorityOf(headers),
        headers: withoutWebSocketHandshake(endToEnd(headers)),
        hasBody: true,
      },
      {
        get gone() {
          return stream.destroyed;
        },
      },
    );
  } catch (err) {
    const [status, message] = unavailable(err);
    return replyText(stream, status, message);
  }
  if (stream.destroyed) return ex.abort('the public client went away before its tunnel stream opened');
  let spliced = false; // from then on splice() ties the two ends together
  stream.once('close', () => {
    if (!spliced) ex.abort('the public client went away');
  });
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
  spliced = true;
  splice(stream, ex.stream);
}
