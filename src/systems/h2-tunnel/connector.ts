/**
 * The h2-stream connector (cloudflared model): dials the edge, says hello, then serves HTTP/2 on the
 * connection it dialled. Each stream the edge opens is classified (http / websocket by extended CONNECT /
 * tcp by plain CONNECT) and forwarded to the operator's origins. Lost connections are redialled with
 * backoff; a refused token is fatal.
 */
import { randomUUID } from 'node:crypto';
import {
  constants as h2c,
  createServer as createH2Server,
  type Http2Session,
  type IncomingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import { connect as netConnect, type Socket } from 'node:net';
import type { Running } from '../serve.ts';
import { endToEnd } from '../tunnel/headers.ts';
import type { IngressRule } from '../tunnel/ingress.ts';
import { type ConnectorExchange, OriginForwarder } from '../tunnel/origin-forwarder.ts';
import type { Origins } from '../tunnel/origins.ts';
import { ConnectorAuthError, keepConnections, startConnector } from '../tunnel/redial.ts';
import type { Headers, StreamKind, TunnelRequestHead } from '../tunnel/types.ts';
import { type ConnectionKnobs, UNLIMITED_STREAMS } from './config.ts';
import { helloLine, readLine } from './handshake.ts';

export interface H2ConnectorOptions extends ConnectionKnobs {
  edge: URL;
  token: string;
  origins: Origins;
  ingress: readonly IngressRule[];
  connections: number;
  log?: (message: string) => void;
}

const HANDSHAKE_TIMEOUT_MS = 5000;

function kindOf(headers: IncomingHttpHeaders): StreamKind {
  if (headers[':method'] !== 'CONNECT') return 'http';
  return headers[':protocol'] === 'websocket' ? 'websocket' : 'tcp';
}

function exchangeOf(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): ConnectorExchange {
  const kind = kindOf(headers);
  const head: TunnelRequestHead = {
    kind,
    method: kind === 'http' ? String(headers[':method']) : 'CONNECT',
    path: kind === 'tcp' ? '' : String(headers[':path'] ?? '/'),
    authority: String(headers[':authority'] ?? ''),
    headers: endToEnd(headers),
    hasBody: (flags & h2c.NGHTTP2_FLAG_END_STREAM) === 0,
  };
  let withTrailers = false;
  return {
    head,
    stream,
    get responded() {
      return stream.headersSent;
    },
    respond(response, options = {}) {
      if (stream.destroyed || stream.headersSent) return;
      withTrailers = options.withTrailers ?? false;
      stream.respond({ ':status': response.status, ...response.headers }, { endStream: options.endStream ?? false, waitForTrailers: withTrailers });
    },
    finish(trailers: Headers | null) {
      if (stream.destroyed || stream.writableEnded) return;
      if (withTrailers) stream.once('wantTrailers', () => stream.sendTrailers(trailers ?? {}));
      stream.end();
    },
    fail(status, message) {
      if (stream.destroyed) return;
      if (stream.headersSent) {
        stream.close(h2c.NGHTTP2_INTERNAL_ERROR);
        return;
      }
      stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8' });
      stream.end(`${message}\n`);
    },
  };
}

export class H2Connector {
  readonly id = randomUUID().slice(0, 8);
  private readonly forwarder: OriginForwarder;
  private readonly server;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private readonly log: (message: string) => void;

  constructor(private readonly options: H2ConnectorOptions) {
    this.log = options.log ?? ((m: string) => process.stderr.write(`h2-connector: ${m}\n`));
    this.forwarder = new OriginForwarder({ origins: options.origins, ingress: options.ingress, log: this.log });
    this.server = createH2Server({
      settings: {
        maxConcurrentStreams: options.maxConcurrentStreams === 0 ? UNLIMITED_STREAMS : options.maxConcurrentStreams,
        initialWindowSize: options.streamWindowBytes,
        enableConnectProtocol: true,
      },
      maxSessionMemory: options.maxSessionMemoryMb,
    });
    this.server.on('stream', (stream, headers, flags) => {
      stream.on('error', () => {});
      this.forwarder.handle(exchangeOf(stream, headers, flags));
    });
    this.server.on('session', (session) => {
      session.on('error', (err) => this.log(`tunnel session error: ${err.message}`));
      if (options.sessionWindowBytes > 65_535) session.setLocalWindowSize(options.sessionWindowBytes);
    });
  }

  /** Dials every connection; resolves once all are registered, rejects if the edge refuses the token. */
  start(): Promise<void> {
    return keepConnections({
      connections: this.options.connections,
      dial: async (index, onLost) => {
        const socket = await this.dialOnce(index);
        socket.once('close', onLost);
      },
      closed: () => this.closed,
      log: this.log,
    });
  }

  private dialOnce(index: number): Promise<Socket> {
    const { edge } = this.options;
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: edge.hostname, port: Number(edge.port) });
      socket.setNoDelay(true);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.write(
          helloLine({
            token: this.options.token,
            connector: this.id,
            index,
            maxConcurrentStreams: this.options.maxConcurrentStreams === 0 ? UNLIMITED_STREAMS : this.options.maxConcurrentStreams,
            streamWindowBytes: this.options.streamWindowBytes,
            sessionWindowBytes: this.options.sessionWindowBytes,
            maxSessionMemoryMb: this.options.maxSessionMemoryMb,
          }),
        );
        readLine(socket, HANDSHAKE_TIMEOUT_MS).then(
          (line) => {
            socket.off('error', reject);
            if (line !== 'OK') {
              socket.destroy();
              const reason = line.startsWith('ERR ') ? line.slice(4) : line;
              return reject(reason === 'wrong token' ? new ConnectorAuthError(`the edge refused this connector: ${reason}`) : new Error(`the edge refused the connection: ${reason}`));
            }
            socket.on('error', () => {});
            this.sockets.add(socket);
            socket.once('close', () => this.sockets.delete(socket));
            // The edge uses a connection once it has our SETTINGS; its ACK of them means it has, so only
            // then is this connection registered (and the ready line true).
            let session: Http2Session | undefined;
            const capture = (s: Http2Session): void => {
              session = s;
            };
            this.server.once('session', capture);
            this.server.emit('connection', socket);
            this.server.off('session', capture);
            if (!session) return reject(new Error('no HTTP/2 session on the tunnel connection'));
            const timer = setTimeout(() => {
              socket.destroy();
              reject(new Error(`the edge did not acknowledge our SETTINGS within ${HANDSHAKE_TIMEOUT_MS} ms`));
            }, HANDSHAKE_TIMEOUT_MS);
            session.once('localSettings', () => {
              clearTimeout(timer);
              resolve(socket);
            });
            socket.once('close', () => clearTimeout(timer));
          },
          (err: Error) => {
            socket.destroy();
            reject(err);
          },
        );
      });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    await this.forwarder.close();
  }
}

export function startH2Connector(options: H2ConnectorOptions): Promise<Running & { connector: H2Connector }> {
  return startConnector(new H2Connector(options));
}
