/**
 * The h2-stream connector (cloudflared model): dials the edge, says hello, then serves HTTP/2 on the
 * connection it dialled. Each stream the edge opens is classified (http / websocket by extended CONNECT /
 * tcp by plain CONNECT) and forwarded to the operator's origins. Lost connections are redialled with
 * backoff; a refused token is fatal.
 */
import { randomUUID } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import { ErrorCode } from '../../h2/frames.ts';
import { type H2Stream, type HeaderFields, H2Session } from '../../h2/session.ts';
import type { Running } from '../serve.ts';
import { endToEnd } from '../tunnel/headers.ts';
import type { IngressRule } from '../tunnel/ingress.ts';
import { OriginForwarder, type OriginProtocol } from '../tunnel/origin-forwarder.ts';
import type { Origins } from '../tunnel/origins.ts';
import { ConnectorAuthError, keepConnections, startConnector } from '../tunnel/redial.ts';
import type { ConnectorExchange, Headers, StreamKind, TunnelRequestHead } from '../tunnel/types.ts';
import { advertisedStreamLimit } from '../../h2/stream-limit.ts';
import { type ConnectionKnobs, TUNNEL_SESSION_LIMITS } from './config.ts';
import { helloLine, readLine } from './handshake.ts';

export interface H2ConnectorOptions extends ConnectionKnobs {
  edge: URL;
  token: string;
  origins: Origins;
  ingress: readonly IngressRule[];
  connections: number;
  /** how HTTP requests reach the HTTP origin (default http1) */
  originProtocol?: OriginProtocol;
  log?: (message: string) => void;
}

const HANDSHAKE_TIMEOUT_MS = 5000;

function kindOf(headers: HeaderFields): StreamKind {
  if (headers[':method'] !== 'CONNECT') return 'http';
  return headers[':protocol'] === 'websocket' ? 'websocket' : 'tcp';
}

function exchangeOf(stream: H2Stream, headers: HeaderFields, endStream: boolean): ConnectorExchange {
  const kind = kindOf(headers);
  const head: TunnelRequestHead = {
    kind,
    method: kind === 'http' ? String(headers[':method']) : 'CONNECT',
    path: kind === 'tcp' ? '' : String(headers[':path'] ?? '/'),
    authority: String(headers[':authority'] ?? ''),
    headers: endToEnd(headers),
    hasBody: !endStream,
  };
  let withTrailers = false;
  return {
    head,
    stream,
    get responded() {
      return stream.headSent;
    },
    respond(response, options = {}) {
      if (stream.destroyed || stream.headSent) return;
      withTrailers = options.withTrailers ?? false;
      stream.respond(response.status, response.headers, { endStream: options.endStream ?? false });
    },
    finish(trailers: Headers | null) {
      if (stream.destroyed || stream.writableEnded) return;
      if (withTrailers) stream.endWithTrailers(trailers ?? {});
      else stream.end();
    },
    fail(status, message) {
      if (stream.destroyed) return;
      if (stream.headSent) {
        stream.close(ErrorCode.INTERNAL_ERROR);
        return;
      }
      stream.respond(status, { 'content-type': 'text/plain; charset=utf-8' });
      stream.end(`${message}\n`);
    },
  };
}

export class H2Connector {
  readonly id = randomUUID().slice(0, 8);
  private readonly forwarder: OriginForwarder;
  private readonly sockets = new Set<Socket>();
  private closed = false;
  private readonly log: (message: string) => void;

  constructor(private readonly options: H2ConnectorOptions) {
    this.log = options.log ?? ((m: string) => process.stderr.write(`h2-connector: ${m}\n`));
    this.forwarder = new OriginForwarder({ origins: options.origins, ingress: options.ingress, originProtocol: options.originProtocol, log: this.log });
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
            maxConcurrentStreams: advertisedStreamLimit(this.options.maxConcurrentStreams),
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
              return reject(
                reason === 'wrong token'
                  ? new ConnectorAuthError(`the edge refused this connector: ${reason}`)
                  : new Error(`the edge refused the connection: ${reason}`),
              );
            }
            socket.on('error', () => {});
            this.sockets.add(socket);
            socket.once('close', () => this.sockets.delete(socket));
            // The edge uses a connection once it has our SETTINGS; its ACK of them means it has, so only
            // then is this connection registered (and the ready line true).
            const timer = setTimeout(() => {
              socket.destroy();
              reject(new Error(`the edge did not acknowledge our SETTINGS within ${HANDSHAKE_TIMEOUT_MS} ms`));
            }, HANDSHAKE_TIMEOUT_MS);
            socket.once('close', () => clearTimeout(timer));
            const { maxConcurrentStreams, streamWindowBytes, sessionWindowBytes, maxSessionMemoryMb } = this.options;
            new H2Session(socket, {
              role: 'server',
              ...TUNNEL_SESSION_LIMITS,
              maxConcurrentStreams: advertisedStreamLimit(maxConcurrentStreams),
              streamWindowBytes,
              sessionWindowBytes,
              maxHeldBytes: maxSessionMemoryMb * 1024 * 1024,
              enableConnectProtocol: true,
              onStream: (stream, headers, endStream) => {
                stream.on('error', () => {});
                this.forwarder.handle(exchangeOf(stream, headers, endStream));
              },
              onSettingsAcked: () => {
                clearTimeout(timer);
                resolve(socket);
              },
              onClose: (reason) => {
                if (reason && !this.closed) this.log(`tunnel session ended: ${reason.message}`);
              },
            });
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
