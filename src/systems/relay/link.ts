/**
 * One direction of a shaped link: bytes read from one socket reach the other as a network leg would carry
 * them — serialised at the leg's bandwidth (each chunk leaves once the ones before it have, taking
 * bytes × 8 / bits-per-second), then delayed by the one-way latency plus jitter, in order (jitter never
 * reorders, as on one TCP path). What is queued is bounded: past `bufferBytes` the source socket is paused
 * (the peer's TCP window closes, as behind a full router queue) and resumed below half. Bytes the other
 * socket has not yet taken (a peer that does not read) count too, so a relay's memory stays bounded.
 *
 * One timer per direction, set for the head of the queue: a chunk leaves at its computed instant, whatever
 * else is queued, so the delay a test measures is the configured one plus the timer's own lateness (~1 ms).
 */
import type { Socket } from 'node:net';

export interface LegShape {
  /** one-way delay, ms */
  delayMs: number;
  /** each chunk's delay varies uniformly within ± jitterMs (never below 0, never reordered) */
  jitterMs: number;
  /** bandwidth, bits per second; 0 = unlimited */
  bitsPerSec: number;
  /** most bytes held in flight in this direction before the source is paused */
  bufferBytes: number;
}

/**
 * The leg's wire in one direction: when it is free again after serialising the chunks already sent. One
 * per direction of a relay, shared by every connection it carries, so that a bandwidth limit is the leg's
 * (as a link's is), not each connection's.
 */
export interface Wire {
  freeAt: number;
}

interface Queued {
  chunk: Buffer;
  /** when it reaches the other side (performance.now() ms) */
  at: number;
}

export class ShapedDirection {
  private readonly queue: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  /** the latest delivery instant handed out: later chunks never arrive before it */
  private lastAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private ended = false;
  private paused = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly shape: LegShape,
    /** the direction's wire, shared with the leg's other connections; a connection of its own by default */
    private readonly wire: Wire = { freeAt: 0 },
    private readonly random: () => number = Math.random,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => {
      this.ended = true;
      this.flush();
    });
    to.on('drain', () => this.resumeIfRoom());
  }

  /** Bytes held for the other side: queued here, and written but not yet taken by its socket. */
  private held(): number {
    return this.queuedBytes + this.to.writableLength;
  }

  private resumeIfRoom(): void {
    if (this.paused && this.held() <= this.shape.bufferBytes / 2) {
      this.paused = false;
      this.from.resume();
    }
  }

  /** Bytes waiting in this direction. */
  get pending(): number {
    return this.queuedBytes;
  }

  private push(chunk: Buffer): void {
    const now = performance.now();
    const s = this.shape;
    const sendMs = s.bitsPerSec > 0 ? (chunk.length * 8 * 1000) / s.bitsPerSec : 0;
    const leaves = Math.max(now, this.wire.freeAt) + sendMs;
    this.wire.freeAt = leaves;
    const jitter = s.jitterMs > 0 ? (this.random() * 2 - 1) * s.jitterMs : 0;
    const at = Math.max(leaves + Math.max(0, s.delayMs + jitter), this.lastAt);
    this.lastAt = at;
    this.queue.push({ chunk, at });
    this.queuedBytes += chunk.length;
    if (!this.paused && this.held() > s.bufferBytes) {
      this.paused = true;
      this.from.pause();
    }
    // Due already (no delay, no queue on the wire): delivered now, not a timer tick (≥ 1 ms) later.
    if (this.queue.length - this.head === 1) {
      if (at <= now + 0.5) this.flush();
      else this.arm();
    }
  }

  private arm(): void {
    if (this.timer !== null || this.head >= this.queue.length) return;
    const wait = this.queue[this.head]!.at - performance.now();
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.flush();
      },
      Math.max(0, wait),
    );
  }

  /** Delivers every chunk that is due; ends the other side once the source ended and nothing is left. */
  private flush(): void {
    const now = performance.now();
    while (this.head < this.queue.length && this.queue[this.head]!.at <= now + 0.5) {
      const { chunk } = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Queued;
      this.queuedBytes -= chunk.length;
      if (!this.to.destroyed) this.to.write(chunk);
    }
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.resumeIfRoom();
    if (this.head < this.queue.length) this.arm();
    else if (this.ended && !this.to.destroyed) this.to.end();
  }

  /** Drops what is queued (the connection is gone). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.queue.length = 0;
    this.head = 0;
    this.queuedBytes = 0;
  }
}
