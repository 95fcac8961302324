/**
 * A tunnel link's send side: messages queued per tick and written as batches, one gRPC message each.
 * Control messages (heads, ends, windows, cancels…) go before body data; body chunks go round-robin, one
 * per request at a time, so one large body does not hold back the others. One batch is written at a time:
 * grpc-js finishes one message's HTTP/2 write before it starts the next (the raw stack likewise, once the
 * stream's window took it), so while a batch is being written the next one fills up.
 */
import type { LinkCall } from './call.ts';
import type { RequestChannel } from './channel.ts';

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

export class LinkBatcher {
  messagesSent = 0;
  batchesSent = 0;
  private readonly control = new Fifo<Buffer>();
  private readonly data = new Fifo<RequestChannel>();
  private writing = false;
  private scheduled = false;
  private stopped = false;
  private readonly tick = (): void => {
    this.scheduled = false;
    this.pump();
  };
  private readonly written = (): void => {
    this.writing = false;
    this.pump();
  };

  constructor(
    private readonly call: LinkCall,
    /** a batch grows past this soft size only by its first message */
    private readonly batchLimitBytes: number,
    /** the largest gRPC message the peer takes */
    private readonly sendLimitBytes: number,
  ) {}

  /** Queues a framed message that is not body data: sent before any queued data. */
  pushControl(framed: Buffer): void {
    this.control.push(framed);
    this.schedule();
  }

  /** Queues a channel that has one chunk ready (`channel.frameQueuedChunk()`). */
  pushData(channel: RequestChannel): void {
    this.data.push(channel);
    this.schedule();
  }

  /** The link is gone: what is queued is dropped, nothing more is written. */
  stop(): void {
    this.stopped = true;
    this.control.clear();
    this.data.clear();
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // Everything queued in this tick goes in one batch.
    process.nextTick(this.tick);
  }

  private pump(): void {
    if (this.stopped || this.writing) return;
    const batch = this.takeBatch();
    if (!batch) return;
    this.writing = true;
    this.batchesSent++;
    this.call.write(batch.parts, batch.bytes, this.written);
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
}
