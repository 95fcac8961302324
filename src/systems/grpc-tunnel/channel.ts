/**
 * One request on a tunnel link, and its flow control: a Duplex whose writable side becomes this side's
 * BodyChunks — cut to the link's chunk size, at most the peer's --max-inflight-bytes sent and not yet
 * consumed — and whose readable side yields the peer's BodyChunks, returning credit (WindowUpdate) as its
 * reader consumes. The edge and the connector subclass it for their half of a request.
 */
import { Duplex } from 'node:stream';
import { InflightExceededError } from './errors.ts';
import type { TunnelLink } from './link.ts';
import type { TunnelMessage } from './protocol.ts';

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
