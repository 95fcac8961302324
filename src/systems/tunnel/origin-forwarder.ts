/**
 * The connector's half of every exchange: picks the origin by ingress, forwards, and streams the answer
 * back — HTTP/1.1 to the HTTP origin (undici, as cloudflared talks HTTP/1.1 to origins by default), h2c to
 * the gRPC origin (trailers carried), an HTTP/1.1 Upgrade to the WebSocket origin, a TCP connection to the
 * TCP origin. Only the operator's origins are ever dialled.
 */
import { randomBytes } from 'node:crypto';
import { request as h1request } from 'node:http';
import { type ClientHttp2Session, connect as h2connect, constants as h2c } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { type Duplex, PassThrough } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { endToEnd } from './headers.ts';
import { decide, type IngressRule } from './ingress.ts';
import type { Origins } from './origins.ts';
import { splice } from './splice.ts';
import type { Headers, TunnelRequestHead, TunnelResponseHead } from './types.ts';

/** One exchange as the connector sees it (a ServerHttp2Stream, or a request id on the gRPC stream). */
export interface ConnectorExchange {
  readonly head: TunnelRequestHead;
  /** readable: the request body or the client's bytes; writable: the response body or the origin's bytes */
  readonly stream: Duplex;
  /** Sends the response head. `endStream`: nothing follows (no body, no trailers). */
  respond(head: TunnelResponseHead, options?: { endStream?: boolean; withTrailers?: boolean }): void;
  /** Ends the response body, with trailers when `respond` was told `withTrailers`. */
  finish(trailers: Headers | null): void;
  /** Answers with a status and a text body, or cuts the exchange off if the head went out already. */
  fail(status: number, message: string): void;
  readonly responded: boolean;
}

export interface ForwarderOptions {
  origins: Origins;
  ingress: readonly IngressRule[];
  log: (message: string) => void;
}

export class OriginForwarder {
  private readonly http: Dispatcher;
  private grpcSession: ClientHttp2Session | null = null;

  constructor(private readonly options: ForwarderOptions) {
    // Unlimited connections, kept alive: one origin connection per concurrent request, like Go's transport.
    this.http = new Agent({ keepAliveTimeout: 30_000, pipelining: 1 });
  }

  handle(ex: ConnectorExchange): void {
    ex.stream.on('error', () => {});
    const decision = decide(this.options.ingress, ex.head);
    if ('status' in decision) return ex.fail(decision.status, decision.message);
    const origin = this.options.origins[decision.origin];
    if (!origin) return ex.fail(502, `this connector has no ${decision.origin} origin`);
    const run =
      decision.origin === 'http'
        ? this.forwardHttp(ex, origin)
        : decision.origin === 'grpc'
          ? this.forwardGrpc(ex, origin)
          : decision.origin === 'ws'
            ? this.forwardWebSocket(ex, origin)
            : this.forwardTcp(ex, origin);
    run.catch((err: unknown) => ex.fail(502, `origin ${decision.origin} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  async close(): Promise<void> {
    this.grpcSession?.destroy();
    await this.http.destroy();
  }

  private async forwardHttp(ex: ConnectorExchange, origin: URL): Promise<void> {
    const { head } = ex;
    let controller: Dispatcher.DispatchController | null = null;
    let hasBody = true;
    ex.stream.once('close', () => {
      if (!ex.stream.writableFinished) controller?.abort(new Error('the tunnel stream closed'));
    });
    // dispatch with a handler, not request(): no response Readable, no AbortController, per request.
    this.http.dispatch(
      {
        origin: origin.origin,
        method: head.method as Dispatcher.HttpMethod,
        path: head.path,
        headers: { ...head.headers, host: head.authority || origin.host },
        // undici destroys a stream body once it has sent it; the exchange must outlive that, so hand it a pipe.
        body: head.hasBody ? ex.stream.pipe(new PassThrough()) : null,
      },
      {
        onRequestStart: (c) => {
          controller = c;
        },
        onResponseStart: (_c, status, headers) => {
          if (status < 200) return; // 1xx: informational, the real head follows
          hasBody = head.method !== 'HEAD' && status !== 204 && status !== 304;
          ex.respond({ status, headers: endToEnd(headers) }, { endStream: !hasBody });
        },
        onResponseData: (c, chunk) => {
          if (!ex.stream.write(chunk)) {
            c.pause();
            ex.stream.once('drain', () => c.resume());
          }
        },
        onResponseEnd: () => {
          if (hasBody) ex.finish(null);
        },
        onResponseError: (_c, err) => ex.fail(502, `origin http failed: ${err.message}`),
      },
    );
  }

  private grpc(origin: URL): ClientHttp2Session {
    if (!this.grpcSession || this.grpcSession.closed || this.grpcSession.destroyed) {
      const session = h2connect(origin.origin);
      session.on('error', (err) => this.options.log(`grpc origin session error: ${err.message}`));
      this.grpcSession = session;
    }
    return this.grpcSession;
  }

  private async forwardGrpc(ex: ConnectorExchange, origin: URL): Promise<void> {
    const { head } = ex;
    const up = this.grpc(origin).request(
      { ':method': head.method, ':path': head.path, ':authority': head.authority || origin.host, ...head.headers },
      { endStream: !head.hasBody },
    );
    let trailers: Headers | null = null;
    up.on('trailers', (t) => (trailers = endToEnd(t)));
    up.on('error', (err) => ex.fail(502, `grpc origin stream failed: ${err.message}`));
    ex.stream.on('close', () => {
      // Cancel only a call that is still running. A finished one (both halves ended, its 'close' event
      // still to come) needs no RST_STREAM, and each one counts against the origin's rapid-reset limit:
      // nghttp2 ends the whole session with INTERNAL_ERROR after about a thousand of them.
      if (!up.closed && !(up.readableEnded && up.writableFinished)) up.close(h2c.NGHTTP2_CANCEL);
    });
    if (head.hasBody) ex.stream.pipe(up);
    up.on('response', (headers, flags) => {
      const status = Number(headers[':status']);
      // A trailers-only reply (a gRPC error without messages) ends with its HEADERS frame.
      const endStream = (flags & h2c.NGHTTP2_FLAG_END_STREAM) !== 0;
      ex.respond({ status, headers: endToEnd(headers) }, { endStream, withTrailers: !endStream });
      if (endStream) return;
      up.pipe(ex.stream, { end: false });
      up.on('end', () => ex.finish(trailers ?? {}));
    });
  }

  private async forwardWebSocket(ex: ConnectorExchange, origin: URL): Promise<void> {
    const { head } = ex;
    const headers: Record<string, string | string[]> = {
      ...head.headers,
      host: origin.host,
      connection: 'Upgrade',
      upgrade: 'websocket',
      'sec-websocket-version': '13',
      'sec-websocket-key': randomBytes(16).toString('base64'),
    };
    const req = h1request({ hostname: origin.hostname, port: origin.port, path: head.path || '/', headers, agent: false });
    req.on('upgrade', (res, socket, rest) => {
      socket.on('error', () => {});
      const keep: Headers = {};
      for (const name of ['sec-websocket-protocol', 'sec-websocket-extensions']) {
        const v = res.headers[name];
        if (v !== undefined) keep[name] = v;
      }
      ex.respond({ status: 200, headers: keep });
      if (rest.length > 0) ex.stream.write(rest);
      splice(ex.stream, socket);
    });
    req.on('response', (res) => {
      ex.respond({ status: res.statusCode ?? 502, headers: endToEnd(res.headers) });
      res.pipe(ex.stream, { end: false });
      res.on('end', () => ex.finish(null));
    });
    req.on('error', (err) => ex.fail(502, `websocket origin failed: ${err.message}`));
    ex.stream.on('close', () => req.destroy());
    req.end();
  }

  private async forwardTcp(ex: ConnectorExchange, origin: URL): Promise<void> {
    const socket = netConnect({ host: origin.hostname, port: Number(origin.port), allowHalfOpen: true });
    socket.setNoDelay(true);
    socket.once('connect', () => {
      ex.respond({ status: 200, headers: {} });
      splice(ex.stream, socket);
    });
    socket.once('error', (err) => {
      if (!ex.responded) ex.fail(502, `tcp origin failed: ${err.message}`);
    });
  }
}
