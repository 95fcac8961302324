/**
 * The grpc-stream edge. It serves the Connect calls connectors make, on its link stack (--link-stack:
 * raw or grpc-js, stacks.ts), and admits each by token and stack; each accepted call is a link
 * that carries any number of public requests as messages keyed by request_id (no stream limit — the
 * design's claim). Public requests go to the link with the fewest open requests.
 */
import { type Running, urlFor } from '../serve.ts';
import type { PublicLimits } from '../tunnel/public-limits.ts';
import { startPublicSide } from '../tunnel/public-side.ts';
import { tokenMatches } from '../tunnel/token.ts';
import {
  type Headers,
  type StreamKind,
  type TunnelBackend,
  type TunnelExchange,
  type TunnelRequestHead,
  type TunnelResponseHead,
  TunnelUnavailableError,
} from '../tunnel/types.ts';
import { type Admission, type FieldLookup, GrpcStatus } from './call.ts';
import { type ChannelWindows, DEFAULT_LINK_STACK, defaultLinkKnobs, defaultWindows, type LinkKnobs, type LinkStackName } from './config.ts';
import { type ConnectHello, limitsFields, linkStackMismatch, parseHello } from './handshake.ts';
import { type LinkStats, linkStats, RequestChannel, TunnelLink } from './link.ts';
import { headersFromWire, headersToWire, kindToWire, type TunnelMessage } from './protocol.ts';
import { LINK_STACK_IMPLEMENTATIONS } from './stacks.ts';

export interface GrpcEdgeOptions extends Partial<LinkKnobs>, Partial<ChannelWindows> {
  host: string;
  port: number;
  tunnelPort: number;
  tcpPort: number;
  token: string;
  batchBytes?: number;
  /** what carries Connect calls; connectors must run the same (default raw) */
  linkStack?: LinkStackName;
  /** bounds on each public h2c connection; defaults where absent */
  publicLimits?: Partial<PublicLimits>;
  log?: (message: string) => void;
}

export const DEFAULT_BATCH_BYTES = 256 * 1024;

/** One public request as the edge sees it: the TunnelExchange the public side drives. */
class EdgeExchange extends RequestChannel implements TunnelExchange {
  readonly stream = this;
  readonly response: Promise<TunnelResponseHead>;
  private resolveResponse!: (head: TunnelResponseHead) => void;
  private rejectResponse!: (err: Error) => void;
  private gotResponse = false;
  private receivedTrailers: Headers | null = null;

  constructor(
    link: TunnelLink,
    id: number,
    private readonly kind: StreamKind,
    hasBody: boolean,
  ) {
    super(link, id);
    this.response = new Promise((resolve, reject) => {
      this.resolveResponse = resolve;
      this.rejectResponse = reject;
    });
    this.response.catch(() => {});
    this.on('error', () => {}); // the public side listens for itself; an unheard error must not crash the edge
    if (!hasBody) {
      this.localDone = true; // the head carried end_stream
      this.end();
    }
  }

  abort(reason: string): void {
    if (!this.released) {
      this.release();
      this.sendMessage({ requestId: this.id, payload: 'cancel', cancel: { reason } });
    }
    this.failResponse(() => `the tunnel exchange was aborted: ${reason}`);
    this.destroy();
  }

  lost(err: Error): void {
    this.released = true;
    this.failResponse(() => err.message);
    this.destroy(err);
  }

  protected finalMessage(): TunnelMessage {
    return { requestId: this.id, payload: 'end', end: {} };
  }

  protected abandonMessage(err: Error | null): TunnelMessage {
    return { requestId: this.id, payload: 'cancel', cancel: { reason: err?.message ?? 'the public side closed the exchange' } };
  }

  protected receiveControl(m: TunnelMessage): void {
    switch (m.payload) {
      case 'response': {
        if (this.gotResponse) return;
        this.gotResponse = true;
        const endStream = m.response.endStream ?? false;
        this.resolveResponse({ status: m.response.status ?? 502, headers: headersFromWire(m.response.headers), endStream });
        if (endStream) this.remoteEnded();
        return;
      }
      case 'trailers':
        this.receivedTrailers = headersFromWire(m.trailers.headers);
        this.remoteEnded();
        return;
      case 'error':
      case 'cancel': {
        const why = m.payload === 'error' ? (m.error.message ?? 'no reason given') : (m.cancel.reason ?? 'no reason given');
        const err = new Error(`the connector failed the request: ${why}`);
        this.release();
        this.failResponse(() => err.message);
        this.destroy(err);
        return;
      }
      default:
        this.link.options.log(`${this.link.name}: ignored a ${m.payload} message for request ${this.id}`);
    }
  }

  trailers(): Headers | null {
    return this.receivedTrailers;
  }

  protected override onRemoteEnd(): void {
    this.failResponse(() => 'the connector ended the request without a response');
    if (this.kind === 'http' && !this.localDone) {
      // RFC 9113 §8.1 (RST_STREAM NO_ERROR after a complete response): the rest of the body is not wanted.
      this.sendMessage({ requestId: this.id, payload: 'cancel', cancel: { reason: 'the response is complete' } });
      this.stopSending();
    }
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.failResponse(() => `the tunnel exchange ended before a response: ${err?.message ?? 'closed'}`);
    super._destroy(err, callback);
  }

  /**
   * Fails the response with a 502 unless it came. The error is made only then: every exchange ends through
   * _destroy, and an Error per request (its stack captured) was 5 % of the edge's time at 10,000 in flight.
   */
  private failResponse(message: () => string): void {
    if (this.gotResponse) return;
    this.gotResponse = true;
    this.rejectResponse(new TunnelUnavailableError(502, message()));
  }
}

export class GrpcTunnelBackend implements TunnelBackend {
  private readonly links: TunnelLink[] = [];
  private peakOfClosedLinks = 0;

  get connectionCount(): number {
    return this.links.length;
  }

  /** Requests open on every connection: 0 once traffic has stopped (ids never leak). */
  get inflight(): number {
    let n = 0;
    for (const l of this.links) n += l.channels.size;
    return n;
  }

  stats(): LinkStats {
    return linkStats(this.links, this.peakOfClosedLinks);
  }

  /** Open requests per connection, in registration order (how evenly the edge spreads them). */
  inflightPerConnection(): number[] {
    return this.links.map((l) => l.channels.size);
  }

  open(head: TunnelRequestHead): Promise<TunnelExchange> {
    let link: TunnelLink | undefined;
    for (const l of this.links) if (!l.closed && (link === undefined || l.channels.size < link.channels.size)) link = l;
    if (!link) return Promise.reject(new TunnelUnavailableError(503, 'no connector is connected to this edge'));
    const id = link.allocateId();
    let framed: Buffer;
    try {
      framed = link.frame({
        requestId: id,
        payload: 'head',
        head: {
          kind: kindToWire(head.kind),
          method: head.method,
          path: head.path,
          authority: head.authority,
          headers: headersToWire(head.headers),
          endStream: !head.hasBody,
        },
      });
    } catch (err) {
      return Promise.reject(new TunnelUnavailableError(502, `cannot send the request through the tunnel: ${(err as Error).message}`));
    }
    const ex = new EdgeExchange(link, id, head.kind, head.hasBody);
    link.register(ex);
    link.sendControl(framed);
    return Promise.resolve(ex);
  }

  add(link: TunnelLink): void {
    this.links.push(link);
  }

  remove(link: TunnelLink): void {
    const i = this.links.indexOf(link);
    if (i >= 0) this.links.splice(i, 1);
    this.peakOfClosedLinks = Math.max(this.peakOfClosedLinks, link.peakRequestBufferBytes);
  }

  close(): void {
    for (const l of [...this.links]) l.close('the edge is shutting down');
  }
}

export async function startGrpcEdge(options: GrpcEdgeOptions): Promise<Running & { backend: GrpcTunnelBackend }> {
  const log = options.log ?? ((m: string) => process.stderr.write(`grpc-edge: ${m}\n`));
  const knobs: LinkKnobs = { ...defaultLinkKnobs(), ...definedOnly(options, ['chunkSizeBytes', 'maxMessageBytes', 'maxInflightBytes']) };
  const windows: ChannelWindows = { ...defaultWindows(), ...definedOnly(options, ['streamWindowBytes', 'sessionWindowBytes']) };
  const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
  const linkStack = options.linkStack ?? DEFAULT_LINK_STACK;
  const backend = new GrpcTunnelBackend();

  /** Token first, then the link stack: a connector on another stack is refused by name, never served mixed. */
  const admit = (fields: FieldLookup, peer: string): Admission => {
    let hello: ConnectHello;
    try {
      hello = parseHello(fields);
    } catch (err) {
      log(`refused a tunnel connection from ${peer}: ${(err as Error).message}`);
      return { accepted: false, status: GrpcStatus.INVALID_ARGUMENT, message: (err as Error).message };
    }
    const name = `connector ${hello.connector}#${hello.index}`;
    if (!tokenMatches(options.token, hello.token)) {
      const why = hello.token === '' ? 'no token' : 'wrong token';
      log(`refused ${name} from ${peer}: ${why}`);
      return { accepted: false, status: GrpcStatus.UNAUTHENTICATED, message: why };
    }
    if (hello.linkStack !== linkStack) {
      const why = linkStackMismatch(hello.linkStack, linkStack);
      log(`refused ${name} from ${peer}: ${why}`);
      return { accepted: false, status: GrpcStatus.FAILED_PRECONDITION, message: why };
    }
    return {
      accepted: true,
      answer: limitsFields(knobs),
      attach: (call) => {
        const link = new TunnelLink(call, {
          ...knobs,
          peer: { maxMessageBytes: hello.maxMessageBytes, maxInflightBytes: hello.maxInflightBytes },
          batchBytes,
          name,
          log,
          onClose: (l, reason) => {
            backend.remove(l);
            log(`${name} disconnected: ${reason} (${backend.connectionCount} connection(s) left)`);
          },
        });
        backend.add(link);
        log(`${name} registered from ${peer} (${linkStack} link stack)`);
      },
    };
  };

  const tunnel = await LINK_STACK_IMPLEMENTATIONS[linkStack].serve({
    host: options.host,
    port: options.tunnelPort,
    windows,
    maxMessageBytes: knobs.maxMessageBytes,
    log,
    admit,
  });
  let pub;
  try {
    pub = await startPublicSide({ host: options.host, port: options.port, tcpPort: options.tcpPort, backend, log, limits: options.publicLimits });
  } catch (err) {
    await tunnel.close();
    throw err;
  }
  return {
    backend,
    urls: { public: pub.urls.public, tunnel: urlFor('http', options.host, tunnel.port), tcp: pub.urls.tcp },
    close: async () => {
      log(`closing with ${backend.inflight} request(s) in flight`);
      backend.close();
      await tunnel.close();
      await pub.close();
    },
  };
}

/** The named fields of `options` that are set (so an explicit undefined does not hide a default). */
function definedOnly<T extends object, K extends keyof T>(options: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (options[k] !== undefined) out[k] = options[k];
  return out;
}
