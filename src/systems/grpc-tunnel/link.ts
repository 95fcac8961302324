/**
 * One tunnel connection of the grpc-stream design: ONE Connect call carrying every request on it, each
 * a RequestChannel keyed by request_id in a map. The link owns the map, the send queues and the batching;
 * the edge and the connector subclass RequestChannel for their half of a request. The call is a LinkCall
 * (call.ts), so the same link runs on either link stack.
 *
 * Flow control is per request and credit-based: a side may have at most the peer's --max-inflight-bytes of
 * one request's body sent and not yet consumed; the receiver returns credit (WindowUpdate) as its reader
 * consumes. The link itself never stops reading the call — a slow reader of one request must not stall the
 * others behind it on the shared stream — so per-request credit is what bounds memory.
 */
import { Duplex } from 'node:stream';
import { GrpcStatus, type LinkCall } from './call.ts';
import { type LinkKnobs, type LinkLimits, MESSAGE_OVERHEAD_BYTES } from './config.ts';
import { InflightExceededError, MessageTooLargeError } from './errors.ts';
import { decodeBatch, encodeFramed, type TunnelMessage } from './protocol.ts';

/** request_id 0 is never used: it is what a message without the field decodes to. */
const MAX_REQUEST_ID = 0xffff_ffff;

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

/** A minimal FIFO: array plus head index, compacted now and then (shift() is O(n)). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export class TunnelLink {
  readonly channels = new Map<number, RequestChannel>();
  /** Largest encoded TunnelMessage this side may send: the smaller of both sides' --max-message-bytes. */
  readonly sendLimitBytes: number;
  readonly chunkSizeBytes: number;
  /** Consumed bytes of one request that make a WindowUpdate worth sending. */
  readonly grantThresholdBytes: number;
  closed = false;

  // --- statistics, for tests and the benchmark
  /** The most bytes of one request this side has held unconsumed (received and not yet credited back). */
  peakRequestBufferBytes = 0;
  messagesSent = 0;
  batchesSent = 0;
  /** Body bytes (BodyChunk data) this side has put on the stream. */
  bodyBytesSent = 0;

  private nextId = 1;
  private readonly control = new Fifo<Buffer>();
  private readonly data = new Fifo<RequestChannel>();
  private writing = false;
  private scheduled = false;
  private readonly batchLimitBytes: number;

  constructor(
    readonly call: LinkCall,
    readonly options: LinkOptions,
  ) {
    this.sendLimitBytes = Math.min(options.maxMessageBytes, options.peer.maxMessageBytes);
    // A chunk must fit the peer's limit with its envelope, whatever --chunk-size says.
    this.chunkSizeBytes = Math.max(1, Math.min(options.chunkSizeBytes, this.sendLimitBytes - MESSAGE_OVERHEAD_BYTES));
    this.grantThresholdBytes = Math.max(1, options.maxInflightBytes >> 1);
    this.batchLimitBytes = Math.min(options.batchBytes, this.sendLimitBytes);
    call.listen({ message: (batch) => this.onBatch(batch), closed: (reason) => this.close(reason) });
  }

  get name(): string {
    return this.options.name;
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
    for (;;) {
      const id = this.nextId;
      this.nextId = id === MAX_REQUEST_ID ? 1 : id + 1;
      if (!this.channels.has(id)) return id;
    }
  }

  register(channel: RequestChannel): void {
    this.channels.set(channel.id, channel);
  }

  unregister(channel: RequestChannel): void {
    if (this.channels.get(channel.id) === channel) this.channels.delete(channel.id);
  }

  /** Encodes a message for this link, or throws MessageTooLargeError. */
  frame(message: TunnelMessage): Buffer {
    const framed = encodeFramed(message);
    if (framed.length > this.sendLimitBytes) {
      throw new MessageTooLargeError(`a ${message.payload} message of ${framed.length} bytes exceeds the tunnel's message limit of ${this.sendLimitBytes} bytes (--max-message-bytes)`);
    }
    return framed;
  }

  /** Queues a message that is not body data (heads, ends, windows, cancels…): sent before any queued data. */
  sendControl(framed: Buffer): void {
    if (this.closed) return;
    this.control.push(framed);
    this.schedule();
  }

  /** Queues a channel that has one chunk ready (`channel.queuedChunk`): chunks go round-robin. */
  sendData(channel: RequestChannel): void {
    if (this.closed) return;
    this.data.push(channel);
    this.schedule();
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // Everything queued in this tick goes in one batch.
    process.nextTick(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Writes one batch at a time: grpc-js finishes one message's HTTP/2 write before it starts the next
   * (the raw stack likewise, once the stream's window took it), so while a batch is being written the
   * next one fills up.
   */
  private pump(): void {
    if (this.closed || this.writing) return;
    const batch = this.takeBatch();
    if (!batch) return;
    this.writing = true;
    this.batchesSent++;
    this.call.write(batch.parts, batch.bytes, () => {
      this.writing = false;
      this.pump();
    });
  }

  /** The framed messages of the next batch, not yet joined: the stack joins them with its own framing. */
  private takeBatch(): { parts: Buffer[]; bytes: number } | null {
    const parts: Buffer[] = [];
    let size = 0;
    const fits = (n: number): boolean => parts.length === 0 || (size < this.batchLimitBytes && size + n <= this.sendLimitBytes);
    while (this.control.size > 0) {
      const next = this.control.peek()!;
      if (!fits(next.length)) break;
      this.control.shift();
      parts.push(next);
      size += next.length;
    }
    while (this.data.size > 0) {
      const ch = this.data.peek()!;
      const framed = ch.frameQueuedChunk();
      if (framed === null) {
        this.data.shift(); // abandoned meanwhile
        continue;
      }
      if (!fits(framed.length)) break;
      this.data.shift();
      parts.push(framed);
      size += framed.length;
      ch.chunkTaken(); // may queue the channel's next chunk at the back
    }
    if (parts.length === 0) return null;
    this.messagesSent += parts.length;
    return { parts, bytes: size };
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
      const id = m.requestId ?? 0;
      const ch = this.channels.get(id);
      if (ch) ch.receive(m);
      else if (m.payload === 'head' && id !== 0 && this.options.onHead) this.options.onHead(this, m);
      // Anything else is for a request this side abandoned already: its peer had not heard yet.
    }
  }

  /** Records what one request holds unconsumed (for the peak statistic). */
  noteBuffered(bytes: number): void {
    if (bytes > this.peakRequestBufferBytes) this.peakRequestBufferBytes = bytes;
  }

  /**
   * Ends the link and its call (the edge tells the connector `status` and `reason` in the call's trailers):
   * every open request learns that the connection is gone. Idempotent.
   */
  close(reason: string, status: number = GrpcStatus.UNAVAILABLE): void {
    if (this.closed) return;
    this.closed = true;
    this.control.clear();
    this.data.clear();
    this.call.close(status, reason);
    const err = new Error(`the tunnel connection ${this.name} was lost (${reason})`);
    const open = [...this.channels.values()];
    this.channels.clear();
    for (const ch of open) ch.lost(err);
    this.options.onClose?.(this, reason);
  }
}

/**
 * One request on a link, as a Duplex: the writable side becomes this side's BodyChunks (within the peer's
 * credit), the readable side yields the peer's BodyChunks (returning credit as it is read).
 */
export abstract class RequestChannel extends Duplex {
  /** Out of the link's map: finished both ways, or abandoned. Messages for it are ignored from now on. */
  released = false;
  /** This side's last message for the request is queued (end, trailers, error, cancel, or end_stream). */
  protected localDone = false;
  /** The peer's last message arrived. */
  protected remoteDone = false;
  /** Writes are accepted and dropped: the peer said it does not want the rest. */
  protected swallowWrites = false;

  private sendCreditBytes: number;
  private pendingWrite: { buf: Buffer; offset: number; callback: (err?: Error | null) => void } | null = null;
  private queuedChunk: Buffer | null = null;
  private queuedFrame: Buffer | null = null;
  private finalCallback: ((err?: Error | null) => void) | null = null;
  private receivedBytes = 0;
  private grantedBytes = 0;

  constructor(
    readonly link: TunnelLink,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true });
    this.sendCreditBytes = link.peerInflightBytes;
  }

  /** Bytes received for this request and not yet credited back to the peer. */
  get unconsumedBytes(): number {
    return this.receivedBytes - this.grantedBytes;
  }

  // --- what the edge and the connector do differently -----------------------------------------------

  /** The message that ends this side's half (end, or trailers on the connector). */
  protected abstract finalMessage(): TunnelMessage;
  /** The message that tells the peer this side gave up (cancel from the edge, error from the connector). */
  protected abstract abandonMessage(err: Error | null): TunnelMessage;
  /** A message other than chunk / end / window. */
  protected abstract receiveControl(message: TunnelMessage): void;
  /** The peer's half ended normally (end, trailers, or a head or response with end_stream). */
  protected onRemoteEnd(): void {}
  /** The link is gone: fail whatever is waiting. Called after the channel left the map. */
  abstract lost(err: Error): void;

  // --- writable side: this side's body ------------------------------------------------------------------

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    if (this.swallowWrites || this.localDone) return callback();
    this.pendingWrite = { buf: chunk, offset: 0, callback };
    this.pumpWrite();
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (this.localDone || this.released) return callback();
    if (this.queuedChunk !== null) {
      this.finalCallback = callback; // the end must follow the last chunk, not overtake it
      return;
    }
    this.sendFinal();
    callback();
  }

  /** Cuts the pending write into chunks while there is credit; one chunk queued on the link at a time. */
  private pumpWrite(): void {
    const w = this.pendingWrite;
    if (!w) return;
    while (this.queuedChunk === null && this.sendCreditBytes > 0 && w.offset < w.buf.length) {
      const n = Math.min(this.link.chunkSizeBytes, this.sendCreditBytes, w.buf.length - w.offset);
      this.queuedChunk = w.buf.subarray(w.offset, w.offset + n);
      w.offset += n;
      this.sendCreditBytes -= n;
      this.link.sendData(this);
    }
    if (w.offset >= w.buf.length) {
      this.pendingWrite = null;
      w.callback();
    }
  }

  /** The link asks for this channel's chunk; null when there is none any more (abandoned, swallowed). */
  frameQueuedChunk(): Buffer | null {
    if (this.queuedChunk === null || this.released || this.swallowWrites) return null;
    this.queuedFrame ??= this.link.frame({ requestId: this.id, payload: 'chunk', chunk: { data: this.queuedChunk } });
    return this.queuedFrame;
  }

  /** The link put this channel's chunk into a batch. */
  chunkTaken(): void {
    this.link.bodyBytesSent += this.queuedChunk?.length ?? 0;
    this.queuedChunk = null;
    this.queuedFrame = null;
    this.pumpWrite();
    if (this.queuedChunk === null && this.pendingWrite === null && this.finalCallback) {
      const cb = this.finalCallback;
      this.finalCallback = null;
      this.sendFinal();
      cb();
    }
  }

  private sendFinal(): void {
    if (this.localDone || this.released) return;
    let framed: Buffer;
    try {
      framed = this.link.frame(this.finalMessage());
    } catch (err) {
      this.abandon(err as Error);
      return;
    }
    this.localDone = true;
    this.link.sendControl(framed);
    this.maybeComplete();
  }

  /** Stops sending this side's body: what is queued or still written is dropped, nothing more goes out. */
  protected stopSending(): void {
    this.swallowWrites = true;
    this.localDone = true;
    this.queuedChunk = null;
    this.queuedFrame = null;
    const w = this.pendingWrite;
    this.pendingWrite = null;
    w?.callback();
    const f = this.finalCallback;
    this.finalCallback = null;
    f?.();
  }

  /** Queues a message for this request (not a chunk). */
  protected sendMessage(message: TunnelMessage): void {
    this.link.sendControl(this.link.frame(message));
  }

  // --- readable side: the peer's body -------------------------------------------------------------------

  override _read(): void {
    this.maybeGrant();
  }

  /**
   * Credit goes back once bytes have left the buffer. _read alone is not enough: Node calls it before it
   * takes the bytes out, and not again until something is pushed — which, without credit, never happens.
   */
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    this.maybeGrant();
    return chunk;
  }

  private maybeGrant(): void {
    if (this.remoteDone || this.released) return;
    const owed = this.receivedBytes - this.readableLength - this.grantedBytes;
    if (owed >= this.link.grantThresholdBytes) {
      this.grantedBytes += owed;
      this.sendMessage({ requestId: this.id, payload: 'window', window: { bytes: owed } });
    }
  }

  /** A message for this request, from the link. */
  receive(message: TunnelMessage): void {
    switch (message.payload) {
      case 'chunk':
        return this.receiveChunk(message.chunk.data ?? Buffer.alloc(0));
      case 'end':
        return this.remoteEnded();
      case 'window':
        this.sendCreditBytes += message.window.bytes ?? 0;
        this.pumpWrite();
        return;
      default:
        return this.receiveControl(message);
    }
  }

  private receiveChunk(data: Buffer): void {
    if (this.remoteDone) return;
    this.receivedBytes += data.length;
    const held = this.receivedBytes - this.grantedBytes;
    if (held > this.link.options.maxInflightBytes) {
      this.abandon(
        new InflightExceededError(
          `the peer sent ${held} bytes of request ${this.id} beyond what was consumed, more than the per-request bound of ${this.link.options.maxInflightBytes} bytes (--max-inflight-bytes)`,
        ),
      );
      return;
    }
    this.link.noteBuffered(held);
    this.push(data);
    this.maybeGrant(); // a flowing reader with an empty buffer took it already, without read()
  }

  /** The peer's half is complete: end the readable side (and let subclasses settle their promises). */
  protected remoteEnded(): void {
    if (this.remoteDone) return;
    this.remoteDone = true;
    this.onRemoteEnd();
    this.push(null);
    this.maybeComplete();
  }

  // --- lifetime --------------------------------------------------------------------------------------------

  protected maybeComplete(): void {
    if (this.localDone && this.remoteDone) this.release();
  }

  protected release(): void {
    if (this.released) return;
    this.released = true;
    this.link.unregister(this);
  }

  /** Gives up on the request: tells the peer (once) and destroys the stream with `err`. */
  protected abandon(err: Error | null): void {
    if (!this.released) {
      this.release();
      try {
        this.sendMessage(this.abandonMessage(err));
      } catch {
        // the abandon message is small; only a broken link lands here, and then the peer knows anyway
      }
    }
    if (!this.destroyed) this.destroy(err ?? undefined);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.released) {
      // Destroyed from outside before both halves ended: the public client or the origin went away.
      this.release();
      try {
        this.sendMessage(this.abandonMessage(err));
      } catch {
        // see abandon()
      }
    }
    this.pendingWrite = null;
    this.queuedChunk = null;
    this.queuedFrame = null;
    callback(err);
  }
}
