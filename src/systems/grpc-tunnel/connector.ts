/**
 * The grpc-stream connector: dials the edge (cloudflared's direction) and calls Connect once per tunnel
 * connection, each on its own gRPC channel. Every request head the edge sends on a call becomes a
 * ConnectorExchange for the shared OriginForwarder. Lost calls are redialled with backoff; a refused
 * token is fatal.
 */
import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Running } from '../serve.ts';
import { endToEnd } from '../tunnel/headers.ts';
import type { IngressRule } from '../tunnel/ingress.ts';
import { OriginForwarder, type OriginProtocol } from '../tunnel/origin-forwarder.ts';
import type { Origins } from '../tunnel/origins.ts';
import type { ConnectorExchange, Headers, TunnelRequestHead, TunnelResponseHead } from '../tunnel/types.ts';
import type { ChannelWindows, LinkKnobs } from './config.ts';
import { ConnectorAuthError } from './errors.ts';
import { keepConnections, startConnector } from '../tunnel/redial.ts';
import { helloMetadata, parseLimits } from './handshake.ts';
import { type LinkStats, linkStats, RequestChannel, TunnelLink } from './link.ts';
import { CONNECT_PATH, headersFromWire, headersToWire, kindFromWire, type TunnelMessage } from './protocol.ts';

export interface GrpcConnectorOptions extends LinkKnobs, ChannelWindows {
  /** The edge's tunnel URL (its ready line's urls.tunnel); only host and port are used. */
  edge: URL;
  token: string;
  origins: Origins;
  ingress: readonly IngressRule[];
  connections: number;
  /** how HTTP requests reach the HTTP origin (default http1) */
  originProtocol?: OriginProtocol;
  batchBytes: number;
  log?: (message: string) => void;
}

const HANDSHAKE_TIMEOUT_MS = 5000;

/** One request as the connector sees it: what the OriginForwarder drives. */
class ConnectorRequest extends RequestChannel implements ConnectorExchange {
  readonly stream = this;
  responded = false;
  private withTrailers = false;
  private trailersToSend: Headers | null = null;

  constructor(
    link: TunnelLink,
    id: number,
    readonly head: TunnelRequestHead,
  ) {
    super(link, id);
    if (!head.hasBody) this.remoteEnded(); // the head carried end_stream
  }

  respond(response: TunnelResponseHead, options: { endStream?: boolean; withTrailers?: boolean } = {}): void {
    if (this.responded || this.released) return;
    const endStream = options.endStream ?? false;
    let framed: Buffer;
    try {
      framed = this.link.frame({
        requestId: this.id,
        payload: 'response',
        response: { status: response.status, headers: headersToWire(response.headers), endStream },
      });
    } catch (err) {
      return this.fail(502, `the origin's response cannot cross the tunnel: ${(err as Error).message}`);
    }
    this.responded = true;
    this.withTrailers = options.withTrailers ?? false;
    if (endStream) this.localDone = true;
    this.link.sendControl(framed);
    if (endStream) {
      this.end();
      this.maybeComplete();
    }
  }

  finish(trailers: Headers | null): void {
    if (this.writableEnded || this.released) return;
    this.trailersToSend = trailers;
    this.end();
  }

  fail(status: number, message: string): void {
    if (this.released || this.destroyed) return;
    if (!this.responded && !this.writableEnded) {
      this.respond({ status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
      this.end(`${message}\n`);
      return;
    }
    this.abandon(new Error(message));
  }

  lost(err: Error): void {
    this.released = true;
    this.destroy(err);
  }

  protected finalMessage(): TunnelMessage {
    if (this.withTrailers) return { requestId: this.id, payload: 'trailers', trailers: { headers: headersToWire(this.trailersToSend ?? {}) } };
    return { requestId: this.id, payload: 'end', end: {} };
  }

  protected abandonMessage(err: Error | null): TunnelMessage {
    return { requestId: this.id, payload: 'error', error: { status: 502, message: err?.message ?? 'the origin connection closed' } };
  }

  protected receiveControl(m: TunnelMessage): void {
    if (m.payload === 'cancel') {
      // The public client went away (or, after a complete response, the rest of its body is not wanted):
      // destroying the stream aborts the origin request.
      this.release();
      this.destroy();
      return;
    }
    this.link.options.log(`${this.link.name}: ignored a ${m.payload} message for request ${this.id}`);
  }
}

export class GrpcConnector {
  readonly id = randomUUID().slice(0, 8);
  private readonly forwarder: OriginForwarder;
  private readonly links = new Set<TunnelLink>();
  private readonly clients = new Set<grpc.Client>();
  private closed = false;
  private peakOfClosedLinks = 0;
  private readonly log: (message: string) => void;

  constructor(private readonly options: GrpcConnectorOptions) {
    this.log = options.log ?? ((m: string) => process.stderr.write(`grpc-connector: ${m}\n`));
    this.forwarder = new OriginForwarder({ origins: options.origins, ingress: options.ingress, originProtocol: options.originProtocol, log: this.log });
  }

  /** Requests open on every connection: 0 once traffic has stopped (ids never leak). */
  get inflight(): number {
    let n = 0;
    for (const l of this.links) n += l.channels.size;
    return n;
  }

  get connectionCount(): number {
    return this.links.size;
  }

  stats(): LinkStats {
    return linkStats(this.links, this.peakOfClosedLinks);
  }

  /** Dials every connection; resolves once all are registered, rejects if the edge refuses the token. */
  start(): Promise<void> {
    return keepConnections({
      connections: this.options.connections,
      dial: (index, onLost) => this.dialOnce(index, onLost),
      closed: () => this.closed,
      log: this.log,
    });
  }

  /** One Connect call on a fresh channel; resolves once the edge accepted it (its initial metadata). */
  private dialOnce(index: number, onLost: () => void): Promise<TunnelLink> {
    const { edge } = this.options;
    // A channel of its own per connection (a local subchannel pool), or grpc-js would share one HTTP/2
    // connection between all of them. No retries: grpc-js would buffer the stream's messages to replay them.
    const client = new grpc.Client(`${edge.hostname}:${edge.port}`, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': this.options.maxMessageBytes,
      'grpc.max_send_message_length': this.options.maxMessageBytes,
      // grpc-js 1.14 has one knob for both windows (SETTINGS_INITIAL_WINDOW_SIZE and the connection
      // window); with one stream per channel the tighter of the two is the window that applies.
      'grpc-node.flow_control_window': Math.min(this.options.streamWindowBytes, this.options.sessionWindowBytes),
      'grpc.use_local_subchannel_pool': 1,
      'grpc.enable_retries': 0,
    });
    this.clients.add(client);
    const call = client.makeBidiStreamRequest(
      CONNECT_PATH,
      (b: Buffer) => b,
      (b: Buffer) => b,
      helloMetadata({
        token: this.options.token,
        connector: this.id,
        index,
        maxMessageBytes: this.options.maxMessageBytes,
        maxInflightBytes: this.options.maxInflightBytes,
      }),
    );
    const dispose = (): void => {
      this.clients.delete(client);
      client.close();
    };
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`the edge did not accept the call within ${HANDSHAKE_TIMEOUT_MS} ms`)), HANDSHAKE_TIMEOUT_MS);
      const fail = (err: Error): void => {
        clearTimeout(timer);
        call.off('error', onError);
        call.on('error', () => {});
        call.cancel();
        dispose();
        reject(err);
      };
      const onError = (err: grpc.ServiceError): void => {
        if (err.code === grpc.status.UNAUTHENTICATED) fail(new ConnectorAuthError(`the edge refused this connector: ${err.details}`));
        else fail(new Error(`the edge refused the connection: ${err.details || err.message}`));
      };
      call.once('error', onError);
      call.once('metadata', (md: grpc.Metadata) => {
        clearTimeout(timer);
        call.off('error', onError);
        let peer;
        try {
          peer = parseLimits(md);
        } catch (err) {
          fail(new Error(`the edge's limits are unreadable: ${(err as Error).message}`));
          return;
        }
        const link = new TunnelLink(call, {
          chunkSizeBytes: this.options.chunkSizeBytes,
          maxMessageBytes: this.options.maxMessageBytes,
          maxInflightBytes: this.options.maxInflightBytes,
          peer,
          batchBytes: this.options.batchBytes,
          name: `connection ${index}`,
          log: this.log,
          onHead: (l, m) => this.onHead(l, m),
          onClose: (l) => {
            this.links.delete(l);
            this.peakOfClosedLinks = Math.max(this.peakOfClosedLinks, l.peakRequestBufferBytes);
            call.cancel();
            dispose();
            onLost();
          },
        });
        this.links.add(link);
        resolve(link);
      });
    });
  }

  private onHead(link: TunnelLink, m: TunnelMessage & { payload: 'head' }): void {
    const wire = m.head;
    const kind = kindFromWire(wire.kind);
    const head: TunnelRequestHead = {
      kind,
      method: wire.method || (kind === 'http' ? 'GET' : 'CONNECT'),
      path: wire.path ?? '',
      authority: wire.authority ?? '',
      headers: endToEnd(headersFromWire(wire.headers)),
      hasBody: !(wire.endStream ?? false),
    };
    const ex = new ConnectorRequest(link, m.requestId!, head);
    link.register(ex);
    this.forwarder.handle(ex);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.log(`closing with ${this.inflight} request(s) in flight`);
    for (const l of [...this.links]) l.close('the connector is shutting down');
    for (const c of [...this.clients]) c.close();
    await this.forwarder.close();
  }
}

export function startGrpcConnector(options: GrpcConnectorOptions): Promise<Running & { connector: GrpcConnector }> {
  return startConnector(new GrpcConnector(options));
}
