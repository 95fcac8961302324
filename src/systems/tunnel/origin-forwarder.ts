/**
 * The connector's half of every exchange: picks the origin by ingress, forwards, and streams the answer
 * back — HTTP/1.1 to the HTTP origin (h1-origin.ts, as cloudflared talks HTTP/1.1 to origins by default) or h2c
 * when asked, h2c to the gRPC origin (trailers carried), an HTTP/1.1 Upgrade to the WebSocket origin, a
 * TCP connection to the TCP origin. Only the operator's origins are ever dialled.
 */
import { randomBytes } from 'node:crypto';
import { request as h1request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { ErrorCode } from '../../h2/frames.ts';
import { H2Session, type HeaderFields } from '../../h2/session.ts';
import { injectCpu } from '../inject-cpu.ts';
import { H1OriginPool } from './h1-origin.ts';
import { endToEnd } from './headers.ts';
import { decide, type IngressRule } from './ingress.ts';
import type { Origins } from './origins.ts';
import { relay, splice } from './splice.ts';
import type { ConnectorExchange, Headers } from './types.ts';

export const ORIGIN_PROTOCOLS = ['http1', 'h2c'] as const;
export type OriginProtocol = (typeof ORIGIN_PROTOCOLS)[number];

export interface ForwarderOptions {
  origins: Origins;
  ingress: readonly IngressRule[];
  /** how HTTP requests reach the HTTP origin (default http1) */
  originProtocol?: OriginProtocol;
  log: (message: string) => void;
}

/** Receive windows towards h2c origins: large replies should not wait for WINDOW_UPDATEs. */
const ORIGIN_STREAM_WINDOW_BYTES = 1024 * 1024;
const ORIGIN_SESSION_WINDOW_BYTES = 16 * 1024 * 1024;

export class OriginForwarder {
  /** HTTP/1.1 keep-alive connections per origin address */
  private readonly h1Pools = new Map<string, H1OriginPool>();
  /** one h2c connection per origin address, opened on first use */
  private readonly h2Sessions = new Map<string, Promise<H2Session>>();
  /** the same sessions once usable, for the synchronous path */
  private readonly h2Live = new Map<string, H2Session>();

  constructor(private readonly options: ForwarderOptions) {}

  handle(ex: ConnectorExchange): void {
    injectCpu();
    ex.stream.on('error', () => {});
    const decision = decide(this.options.ingress, ex.head);
    if ('status' in decision) return ex.fail(decision.status, decision.message);
    const origin = this.options.origins[decision.origin];
    if (!origin) return ex.fail(502, `this connector has no ${decision.origin} origin`);
    const failed = (err: unknown): void => ex.fail(502, `origin ${decision.origin} failed: ${err instanceof Error ? err.message : String(err)}`);
    try {
      // The busy paths (HTTP, and h2c once connected) run synchronously: no promise per request.
      const run =
        decision.origin === 'http'
          ? this.options.originProtocol === 'h2c'
            ? this.forwardH2(ex, origin)
            : this.forwardHttp(ex, origin)
          : decision.origin === 'grpc'
            ? this.forwardH2(ex, origin)
            : decision.origin === 'ws'
              ? this.forwardWebSocket(ex, origin)
              : this.forwardTcp(ex, origin);
      run?.catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  async close(): Promise<void> {
    for (const s of this.h2Sessions.values())
      void s.then(
        (session) => session.destroy(),
        () => {},
      );
    this.h2Sessions.clear();
    this.h2Live.clear();
    for (const pool of this.h1Pools.values()) pool.close();
    this.h1Pools.clear();
  }

  private forwardHttp(ex: ConnectorExchange, origin: URL): void {
    let pool = this.h1Pools.get(origin.host);
    if (pool === undefined) {
      pool = new H1OriginPool(origin);
      this.h1Pools.set(origin.host, pool);
    }
    pool.forward(ex);
  }

  /** The h2c session to `origin`, usable once its SETTINGS arrived; a closed one is replaced on next use. */
  private h2(origin: URL): Promise<H2Session> {
    const key = origin.host;
    const existing = this.h2Sessions.get(key);
    const live = this.h2Live.get(key);
    // connecting, or connected and usable; one that is going away (GOAWAY) is replaced
    if (existing && (live === undefined || live.usable)) return existing;
    this.h2Live.delete(key);
    const ready = new Promise<H2Session>((resolve, reject) => {
      const socket = netConnect({ host: origin.hostname, port: Number(origin.port) });
      const session = new H2Session(socket, {
        role: 'client',
        // the operator's own origin: its resets (refusals under load) must not end the connection
        glitchBurst: Number.POSITIVE_INFINITY,
        streamWindowBytes: ORIGIN_STREAM_WINDOW_BYTES,
        sessionWindowBytes: ORIGIN_SESSION_WINDOW_BYTES,
        onRemoteSettings: () => {
          this.h2Live.set(key, session);
          resolve(session);
        },
        onClose: (reason) => {
          if (this.h2Sessions.get(key) === ready) this.h2Sessions.delete(key);
          if (this.h2Live.get(key) === session) this.h2Live.delete(key);
          if (reason) this.options.log(`h2c origin ${key}: ${reason.message}`);
          reject(reason ?? new Error('the origin connection closed'));
        },
      });
    });
    ready.catch(() => {});
    this.h2Sessions.set(key, ready);
    return ready;
  }

  /** One HTTP/2 stream to the origin per exchange, trailers carried (gRPC status lives there). */
  private forwardH2(ex: ConnectorExchange, origin: URL): Promise<void> | undefined {
    const live = this.h2Live.get(origin.host);
    if (live?.usable) {
      this.streamH2(ex, origin, live);
      return undefined;
    }
    return this.h2(origin).then((session) => {
      if (!ex.stream.destroyed) this.streamH2(ex, origin, session);
    });
  }

  private streamH2(ex: ConnectorExchange, origin: URL, session: H2Session): void {
    const { head } = ex;
    const pseudo: [string, string][] = [
      [':method', head.method],
      [':scheme', 'http'],
      [':path', head.path || '/'],
      [':authority', head.authority || origin.host],
    ];
    const up = session.request(pseudo, head.headers, { endStream: !head.hasBody });
    let trailers: Headers | null = null;
    up.on('trailers', (t: HeaderFields) => (trailers = endToEnd(t)));
    up.on('error', (err) => ex.fail(502, `origin stream failed: ${err.message}`));
    // Cancel only a call still running: each RST_STREAM counts against the origin's rapid-reset limit
    // (nghttp2 ends the whole session with INTERNAL_ERROR after about a thousand of them).
    ex.stream.once('close', () => {
      if (up.open) up.close(ErrorCode.CANCEL);
    });
    if (head.hasBody) relay(ex.stream, up, () => up.end());
    up.once('response', (headers: HeaderFields, endStream: boolean) => {
      // A trailers-only reply (a gRPC error without messages) ends with its HEADERS frame.
      ex.respond({ status: Number(headers[':status']), headers: endToEnd(headers) }, { endStream, withTrailers: !endStream });
      if (endStream) return;
      relay(up, ex.stream, () => ex.finish(trailers ?? {}));
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
