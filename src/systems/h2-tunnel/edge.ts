/**
 * The h2-stream edge (cloudflared model). Connectors dial the tunnel port and say hello; after that the
 * edge is the HTTP/2 *client* on the connection they dialled and opens one stream per public request.
 *
 * Streams are admitted by the edge itself: a connection is used only after the connector's SETTINGS
 * arrived (so no stream is ever refused for being early), never beyond the limit the connector advertised,
 * and requests beyond every connection's limit wait in one FIFO queue — the delay the stream-limit sweep
 * is meant to expose.
 */
import { createServer as createNetServer, type Socket } from 'node:net';
import { ErrorCode, HeadTooLargeError } from '../../h2/errors.ts';
import { H2Session, type H2Stream, type HeaderFields } from '../../h2/session.ts';
import { closeServer, listen, type Running, trackConnections, urlFor } from '../serve.ts';
import { endToEnd } from '../tunnel/headers.ts';
import { tokenMatches } from '../tunnel/token.ts';
import type { PublicLimits } from '../tunnel/public-limits.ts';
import { startPublicSide } from '../tunnel/public-side.ts';
import {
  type Headers,
  type OpenContext,
  type TunnelBackend,
  type TunnelExchange,
  type TunnelRequestHead,
  type TunnelResponseHead,
  TunnelUnavailableError,
} from '../tunnel/types.ts';
import { DEFAULT_QUEUE_LIMIT, DEFAULT_QUEUE_TIMEOUT_MS, TUNNEL_SESSION_LIMITS } from './config.ts';
import { type Hello, parseHello, readLine } from './handshake.ts';

export interface H2EdgeOptions {
  host: string;
  port: number;
  tunnelPort: number;
  tcpPort: number;
  token: string;
  queueLimit?: number;
  queueTimeoutMs?: number;
  /** bounds on each public h2c connection; defaults where absent */
  publicLimits?: Partial<PublicLimits>;
  log?: (message: string) => void;
}

const HANDSHAKE_TIMEOUT_MS = 5000;

interface Connection {
  readonly session: H2Session;
  readonly hello: Hello;
}

interface Waiter {
  head: TunnelRequestHead;
  context: OpenContext | undefined;
  resolve: (ex: TunnelExchange) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class H2TunnelBackend implements TunnelBackend {
  private readonly connections: Connection[] = [];
  private queue: Waiter[] = [];
  private queueHead = 0;
  private readonly queueLimit: number;
  private readonly queueTimeoutMs: number;

  constructor(
    options: { queueLimit?: number; queueTimeoutMs?: number },
    private readonly log: (message: string) => void,
  ) {
    this.queueLimit = options.queueLimit ?? DEFAULT_QUEUE_LIMIT;
    this.queueTimeoutMs = options.queueTimeoutMs ?? DEFAULT_QUEUE_TIMEOUT_MS;
  }

  get connectionCount(): number {
    return this.connections.length;
  }

  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  open(head: TunnelRequestHead, context?: OpenContext): Promise<TunnelExchange> {
    if (this.connections.length === 0) {
      return Promise.reject(new TunnelUnavailableError(503, 'no connector is connected to this edge'));
    }
    const conn = this.queued === 0 ? this.pick() : undefined;
    if (conn) {
      try {
        return Promise.resolve(this.openOn(conn, head));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    if (this.queued >= this.queueLimit) {
      return Promise.reject(new TunnelUnavailableError(503, `${this.queueLimit} requests are already waiting for a tunnel stream`));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        head,
        context,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.queue.indexOf(waiter, this.queueHead);
          if (i >= 0) this.queue.splice(i, 1);
          reject(new TunnelUnavailableError(503, `no tunnel stream became free within ${this.queueTimeoutMs} ms`));
        }, this.queueTimeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  /** The connection with the fewest active streams that is under its limit. */
  private pick(): Connection | undefined {
    let best: Connection | undefined;
    for (const c of this.connections) {
      const active = c.session.activeStreams;
      if (c.session.usable && active < c.session.remoteMaxStreams && (best === undefined || active < best.session.activeStreams)) best = c;
    }
    return best;
  }

  /** A stream ended somewhere: waiting requests may take its slot (those whose client left never do). */
  pump(): void {
    while (this.queueHead < this.queue.length) {
      const first = this.queue[this.queueHead]!;
      if (first.context?.gone) {
        this.queueHead++;
        clearTimeout(first.timer);
        first.reject(new TunnelUnavailableError(503, 'the public client went away while waiting for a tunnel stream'));
        continue;
      }
      const conn = this.pick();
      if (!conn) break;
      const w = this.queue[this.queueHead++]!;
      clearTimeout(w.timer);
      try {
        w.resolve(this.openOn(conn, w.head));
      } catch (err) {
        w.reject(err as Error);
      }
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private openOn(conn: Connection, head: TunnelRequestHead): TunnelExchange {
    let stream: H2Stream;
    try {
      stream = conn.session.request(pseudoHeaders(head), head.headers, { endStream: !head.hasBody });
    } catch (err) {
      if (err instanceof HeadTooLargeError) throw new TunnelUnavailableError(431, `the request head is too large for the tunnel: ${err.message}`);
      throw new TunnelUnavailableError(502, `could not open a tunnel stream: ${(err as Error).message}`);
    }
    return exchangeOf(stream);
  }

  /** Registers an authenticated connection once the connector's SETTINGS have arrived. */
  add(conn: Connection): void {
    this.connections.push(conn);
    this.pump();
  }

  /** The connection's session ended. */
  remove(conn: Connection): void {
    const i = this.connections.indexOf(conn);
    if (i < 0) return;
    this.connections.splice(i, 1);
    this.log(`connector ${conn.hello.connector}#${conn.hello.index} disconnected (${this.connections.length} connection(s) left)`);
    if (this.connections.length === 0) this.failQueued();
  }

  private failQueued(): void {
    while (this.queueHead < this.queue.length) {
      const w = this.queue[this.queueHead++]!;
      clearTimeout(w.timer);
      w.reject(new TunnelUnavailableError(502, 'the tunnel connection was lost and no connector is connected'));
    }
    this.queue = [];
    this.queueHead = 0;
  }

  close(): void {
    this.failQueued();
    for (const c of [...this.connections]) c.session.destroy();
  }
}

function pseudoHeaders(head: TunnelRequestHead): [string, string][] {
  if (head.kind === 'tcp')
    return [
      [':method', 'CONNECT'],
      [':authority', head.authority || 'tcp-origin:0'],
    ];
  const authority = head.authority || 'tunnel';
  if (head.kind === 'websocket') {
    return [
      [':method', 'CONNECT'],
      [':protocol', 'websocket'],
      [':scheme', 'http'],
      [':path', head.path],
      [':authority', authority],
    ];
  }
  return [
    [':method', head.method],
    [':scheme', 'http'],
    [':path', head.path],
    [':authority', authority],
  ];
}

function exchangeOf(stream: H2Stream): TunnelExchange {
  // One promise and four plain listeners per exchange: this runs for every public request.
  let settle: ((result: TunnelResponseHead | Error) => void) | null = null;
  const response = new Promise<TunnelResponseHead>((resolve, reject) => {
    settle = (result) => {
      settle = null;
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
  });
  response.catch(() => {});
  let trailers: Headers | null = null;
  stream.on('response', (headers: HeaderFields, endStream: boolean) => {
    settle?.({ status: Number(headers[':status']), headers: endToEnd(headers), endStream });
  });
  stream.on('trailers', (t: HeaderFields) => (trailers = endToEnd(t)));
  const early = (err?: Error): void => {
    settle?.(new TunnelUnavailableError(502, `the tunnel stream ended before a response: ${err?.message ?? `reset with code ${stream.rstCode}`}`));
  };
  stream.on('error', early);
  stream.on('close', early);
  return {
    stream,
    response,
    trailers: () => trailers,
    abort: () => {
      if (!stream.destroyed) stream.close(ErrorCode.CANCEL);
    },
  };
}

/** Accepts connector connections on the tunnel port and turns authenticated ones into HTTP/2 sessions. */
function acceptConnector(socket: Socket, backend: H2TunnelBackend, token: string, log: (m: string) => void): void {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  readLine(socket, HANDSHAKE_TIMEOUT_MS)
    .then((line) => {
      let hello: Hello;
      try {
        hello = parseHello(line);
      } catch (err) {
        log(`refused a tunnel connection from ${socket.remoteAddress}: ${(err as Error).message}`);
        socket.end(`ERR ${(err as Error).message}\n`);
        return;
      }
      if (!tokenMatches(token, hello.token)) {
        log(`refused connector ${hello.connector}#${hello.index} from ${socket.remoteAddress}: wrong token`);
        socket.end('ERR wrong token\n');
        return;
      }
      socket.write('OK\n');
      let conn: Connection | null = null;
      const session = new H2Session(socket, {
        role: 'client',
        ...TUNNEL_SESSION_LIMITS,
        streamWindowBytes: hello.streamWindowBytes,
        sessionWindowBytes: hello.sessionWindowBytes,
        maxHeldBytes: hello.maxSessionMemoryMb * 1024 * 1024,
        // Use the connection only once the connector's limit is known.
        onRemoteSettings: () => {
          if (conn !== null) return backend.pump();
          conn = { session, hello };
          backend.add(conn);
          log(`connector ${hello.connector}#${hello.index} registered (max ${session.remoteMaxStreams} concurrent streams)`);
        },
        onStreamClosed: () => backend.pump(),
        onClose: (reason) => {
          if (conn !== null) backend.remove(conn);
          if (reason) log(`tunnel session with ${hello.connector}#${hello.index} ended: ${reason.message}`);
        },
      });
    })
    .catch((err: unknown) => {
      log(`tunnel handshake failed from ${socket.remoteAddress}: ${(err as Error).message}`);
      socket.destroy();
    });
}

export async function startH2Edge(options: H2EdgeOptions): Promise<Running & { backend: H2TunnelBackend }> {
  const log = options.log ?? ((m: string) => process.stderr.write(`h2-edge: ${m}\n`));
  const backend = new H2TunnelBackend(options, log);
  const tunnel = trackConnections(createNetServer((socket) => acceptConnector(socket, backend, options.token, log)));
  const tunnelPort = await listen(tunnel, options.host, options.tunnelPort);
  const pub = await startPublicSide({ host: options.host, port: options.port, tcpPort: options.tcpPort, backend, log, limits: options.publicLimits });
  return {
    backend,
    urls: { public: pub.urls.public, tunnel: urlFor('tcp', options.host, tunnelPort), tcp: pub.urls.tcp },
    close: async () => {
      backend.close();
      await Promise.all([pub.close(), closeServer(tunnel)]);
    },
  };
}
