/**
 * One tunnel connection of the grpc-stream design, and its lifecycle: ONE Connect call carrying every
 * request on it, each a RequestChannel (channel.ts) keyed by request_id (multiplexer.ts); messages framed
 * within both sides' limits (framing.ts) and written in batches (batcher.ts). The edge and the connector
 * subclass RequestChannel for their half of a request. The call is a LinkCall (call.ts), so the same link
 * runs on either link stack.
 *
 * Flow control is per request and credit-based: a side may have at most the peer's --max-inflight-bytes of
 * one request's body sent and not yet consumed; the receiver returns credit (WindowUpdate) as its reader
 * consumes. The link itself never stops reading the call — a slow reader of one request must not stall the
 * others behind it on the shared stream — so per-request credit is what bounds memory.
 */
import { LinkBatcher } from './batcher.ts';
import { GrpcStatus, type LinkCall } from './call.ts';
import type { RequestChannel } from './channel.ts';
import type { LinkKnobs, LinkLimits } from './config.ts';
import { LinkFramer } from './framing.ts';
import { RequestMultiplexer } from './multiplexer.ts';
import { decodeBatch, type TunnelMessage } from './protocol.ts';

export { RequestChannel } from './channel.ts';

export interface LinkOptions extends LinkKnobs {
  /** The other side's limits, from the handshake. */
  peer: LinkLimits;
  /** Soft size of one batch (one gRPC message); 0 = one TunnelMessage per gRPC message. */
  batchBytes: number;
  /** Names the connection in logs, e.g. 'connector ab12cd34#0'. */
  name: string;
  log: (message: string) => void;
  /** A request head arrived (connector side); the callee creates and registers its channel. */
  onHead?: (link: TunnelLink, message: TunnelMessage & { payload: 'head' }) => void;
  /** The call ended; every channel has been told already. */
  onClose?: (link: TunnelLink, reason: string) => void;
}

/** What the links of one edge or connector add up to (tests and the benchmark read it). */
export interface LinkStats {
  connections: number;
  /** requests open across the connections: the request_id maps' sizes, 0 once traffic has stopped */
  inflight: number;
  /** body bytes received and not yet consumed */
  bufferedBytes: number;
  /** the most bytes of one request ever held unconsumed: bounded by --max-inflight-bytes */
  peakRequestBufferBytes: number;
  messagesSent: number;
  batchesSent: number;
  bodyBytesSent: number;
}

/** Sums the live links; `closedPeak` carries the peak of links that are gone. */
export function linkStats(links: Iterable<TunnelLink>, closedPeak = 0): LinkStats {
  const s: LinkStats = { connections: 0, inflight: 0, bufferedBytes: 0, peakRequestBufferBytes: closedPeak, messagesSent: 0, batchesSent: 0, bodyBytesSent: 0 };
  for (const l of links) {
    s.connections++;
    s.inflight += l.channels.size;
    s.bufferedBytes += l.bufferedBytes;
    s.peakRequestBufferBytes = Math.max(s.peakRequestBufferBytes, l.peakRequestBufferBytes);
    s.messagesSent += l.messagesSent;
    s.batchesSent += l.batchesSent;
    s.bodyBytesSent += l.bodyBytesSent;
  }
  return s;
}

export class TunnelLink {
  /** the open requests by request_id */
  readonly channels: Map<number, RequestChannel>;
  /** Largest encoded TunnelMessage this side may send: the smaller of both sides' --max-message-bytes. */
  readonly sendLimitBytes: number;
  readonly chunkSizeBytes: number;
  /** Consumed bytes of one request that make a WindowUpdate worth sending. */
  readonly grantThresholdBytes: number;
  closed = false;

  // --- statistics, for tests and the benchmark
  /** The most bytes of one request this side has held unconsumed (received and not yet credited back). */
  peakRequestBufferBytes = 0;
  /** Body bytes (BodyChunk data) this side has put on the stream. */
  bodyBytesSent = 0;

  private readonly mux = new RequestMultiplexer();
  private readonly framer: LinkFramer;
  private readonly batcher: LinkBatcher;

  constructor(
    readonly call: LinkCall,
    readonly options: LinkOptions,
  ) {
    this.channels = this.mux.channels;
    this.framer = new LinkFramer(options, options.peer);
    this.sendLimitBytes = this.framer.sendLimitBytes;
    this.chunkSizeBytes = this.framer.chunkSizeBytes;
    this.grantThresholdBytes = Math.max(1, options.maxInflightBytes >> 1);
    this.batcher = new LinkBatcher(call, Math.min(options.batchBytes, this.sendLimitBytes), this.sendLimitBytes);
    call.listen({ message: (batch) => this.onBatch(batch), closed: (reason) => this.close(reason) });
  }

  get name(): string {
    return this.options.name;
  }

  get messagesSent(): number {
    return this.batcher.messagesSent;
  }

  get batchesSent(): number {
    return this.batcher.batchesSent;
  }

  /** The credit a new request starts with for sending: what the peer buffers per request. */
  get peerInflightBytes(): number {
    return this.options.peer.maxInflightBytes;
  }

  /** Bytes this side holds unconsumed across its requests right now. */
  get bufferedBytes(): number {
    let sum = 0;
    for (const ch of this.channels.values()) sum += ch.unconsumedBytes;
    return sum;
  }

  /** A request id not in use on this link: a counter that wraps past 2^32-1 and skips live ids. */
  allocateId(): number {
    return this.mux.allocateId();
  }

  /** The next request id to try (the multiplexer's counter; tests set it to reach the wrap). */
  private get nextId(): number {
    return this.mux.nextId;
  }

  private set nextId(id: number) {
    this.mux.nextId = id;
  }

  register(channel: RequestChannel): void {
    this.mux.register(channel);
  }

  unregister(channel: RequestChannel): void {
    this.mux.unregister(channel);
  }

  /** Encodes a message for this link, or throws MessageTooLargeError. */
  frame(message: TunnelMessage): Buffer {
    return this.framer.frame(message);
  }

  /** Queues a message that is not body data (heads, ends, windows, cancels…): sent before any queued data. */
  sendControl(framed: Buffer): void {
    if (this.closed) return;
    this.batcher.pushControl(framed);
  }

  /** Queues a channel that has one chunk ready (`channel.queuedChunk`): chunks go round-robin. */
  sendData(channel: RequestChannel): void {
    if (this.closed) return;
    this.batcher.pushData(channel);
  }

  /** Records what one request holds unconsumed (for the peak statistic). */
  noteBuffered(bytes: number): void {
    if (bytes > this.peakRequestBufferBytes) this.peakRequestBufferBytes = bytes;
  }

  private onBatch(batch: Buffer): void {
    let messages: TunnelMessage[];
    try {
      messages = decodeBatch(batch);
    } catch (err) {
      this.options.log(`${this.name}: undecodable batch of ${batch.length} bytes (${(err as Error).message}); closing the connection`);
      this.close('the peer sent an undecodable batch', GrpcStatus.INTERNAL);
      return;
    }
    for (const m of messages) {
      if (this.closed) return;
      const head = this.mux.route(m);
      if (head !== null) this.options.onHead?.(this, head);
    }
  }

  /**
   * Ends the link and its call (the edge tells the connector `status` and `reason` in the call's trailers):
   * every open request learns that the connection is gone. Idempotent.
   */
  close(reason: string, status: number = GrpcStatus.UNAVAILABLE): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.stop();
    this.call.close(status, reason);
    const err = new Error(`the tunnel connection ${this.name} was lost (${reason})`);
    for (const ch of this.mux.takeAll()) ch.lost(err);
    this.options.onClose?.(this, reason);
  }
}
