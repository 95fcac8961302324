/**
 * The grpc-stream connector: dials the edge (cloudflared's direction) and calls Connect once per tunnel
 * connection, each on a connection of its own, on its link stack (--link-stack, stacks.ts). Every request
 * head the edge sends on a call becomes a ConnectorExchange for the shared OriginForwarder. Lost calls are
 * redialled with backoff; a refused token or link stack is fatal.
 */
import { randomUUID } from 'node:crypto';
import type { Running } from '../serve.ts';
import { endToEnd } from '../tunnel/headers.ts';
import type { IngressRule } from '../tunnel/ingress.ts';
import { OriginForwarder, type OriginProtocol } from '../tunnel/origin-forwarder.ts';
import type { Origins } from '../tunnel/origins.ts';
import type { ConnectorExchange, Headers, TunnelRequestHead, TunnelResponseHead } from '../tunnel/types.ts';
import { keepConnections, startConnector } from '../tunnel/redial.ts';
import { GrpcStatus } from './call.ts';
import { type ChannelWindows, DEFAULT_LINK_STACK, type LinkKnobs, type LinkStackName } from './config.ts';
import { helloFields, parseLimits } from './handshake.ts';
import { type LinkStats, linkStats, RequestChannel, TunnelLink } from './link.ts';
import { headersFromWire, headersToWire, kindFromWire, type TunnelMessage } from './protocol.ts';
import { LINK_STACK_IMPLEMENTATIONS } from './stacks.ts';

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
  /** what carries the Connect calls; the edge must run the same (default raw) */
  linkStack?: LinkStackName;
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
  private readonly linkStack: LinkStackName;
  /** aborts dials still under way when the connector closes */
  private readonly closing = new AbortController();
  private closed = false;
  private peakOfClosedLinks = 0;
  private readonly log: (message: string) => void;

  constructor(private readonly options: GrpcConnectorOptions) {
    this.log = options.log ?? ((m: string) => process.stderr.write(`grpc-connector: ${m}\n`));
    this.linkStack = options.linkStack ?? DEFAULT_LINK_STACK;
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

  /** One Connect call on a connection of its own; resolves once the edge accepted it (its initial metadata). */
  private async dialOnce(index: number, onLost: () => void): Promise<TunnelLink> {
    const o = this.options;
    const { call, answer } = await LINK_STACK_IMPLEMENTATIONS[this.linkStack].dial({
      edge: o.edge,
      hello: helloFields({
        token: o.token,
        connector: this.id,
        index,
        linkStack: this.linkStack,
        maxMessageBytes: o.maxMessageBytes,
        maxInflightBytes: o.maxInflightBytes,
      }),
      windows: { streamWindowBytes: o.streamWindowBytes, sessionWindowBytes: o.sessionWindowBytes },
      maxMessageBytes: o.maxMessageBytes,
      timeoutMs: HANDSHAKE_TIMEOUT_MS,
      signal: this.closing.signal,
    });
    let peer;
    try {
      peer = parseLimits(answer);
    } catch (err) {
      call.close(GrpcStatus.CANCELLED, 'unreadable limits');
      throw new Error(`the edge's limits are unreadable: ${(err as Error).message}`);
    }
    const link = new TunnelLink(call, {
      chunkSizeBytes: o.chunkSizeBytes,
      maxMessageBytes: o.maxMessageBytes,
      maxInflightBytes: o.maxInflightBytes,
      peer,
      batchBytes: o.batchBytes,
      name: `connection ${index}`,
      log: this.log,
      onHead: (l, m) => this.onHead(l, m),
      onClose: (l, reason) => {
        this.links.delete(l);
        this.peakOfClosedLinks = Math.max(this.peakOfClosedLinks, l.peakRequestBufferBytes);
        if (!this.closed) this.log(`connection ${index} closed: ${reason}`);
        onLost();
      },
    });
    this.links.add(link);
    return link;
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
    this.closing.abort();
    for (const l of [...this.links]) l.close('the connector is shutting down', GrpcStatus.CANCELLED);
    await this.forwarder.close();
  }
}

export function startGrpcConnector(options: GrpcConnectorOptions): Promise<Running & { connector: GrpcConnector }> {
  return startConnector(new GrpcConnector(options));
}
