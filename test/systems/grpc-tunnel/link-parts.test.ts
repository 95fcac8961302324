/**
 * The tunnel link's parts on their own: request-id multiplexing (multiplexer.ts), framing within both
 * sides' message limits (framing.ts) and batching (batcher.ts) — over a recording LinkCall, the seam where
 * either real link stack plugs in.
 */
import { describe, expect, it } from 'vitest';
import { LinkBatcher } from '../../../src/systems/grpc-tunnel/batcher.ts';
import type { CallEvents, LinkCall } from '../../../src/systems/grpc-tunnel/call.ts';
import type { RequestChannel } from '../../../src/systems/grpc-tunnel/channel.ts';
import { MESSAGE_OVERHEAD_BYTES } from '../../../src/systems/grpc-tunnel/config.ts';
import { MessageTooLargeError } from '../../../src/systems/grpc-tunnel/errors.ts';
import { LinkFramer } from '../../../src/systems/grpc-tunnel/framing.ts';
import { RequestMultiplexer } from '../../../src/systems/grpc-tunnel/multiplexer.ts';
import { decodeBatch, encodeFramed, type TunnelMessage } from '../../../src/systems/grpc-tunnel/protocol.ts';

/** Records each written batch; `written` runs when the test says the stack took it. */
class RecordingCall implements LinkCall {
  batches: Buffer[][] = [];
  private pending: (() => void) | null = null;
  listen(_events: CallEvents): void {}
  write(parts: readonly Buffer[], bytes: number, written: () => void): void {
    expect(bytes).toBe(parts.reduce((n, p) => n + p.length, 0));
    this.batches.push([...parts]);
    this.pending = written;
  }
  close(): void {}
  take(): void {
    const w = this.pending;
    this.pending = null;
    w?.();
  }
}

/** A channel as the batcher sees it: `chunks` body chunks, one queued at a time. */
class ChunkSource {
  sent = 0;
  constructor(
    private readonly batcher: LinkBatcher,
    readonly id: number,
    private readonly chunks: number,
  ) {}
  queue(): void {
    this.batcher.pushData(this as unknown as RequestChannel);
  }
  frameQueuedChunk(): Buffer | null {
    return this.sent < this.chunks ? encodeFramed({ requestId: this.id, payload: 'chunk', chunk: { data: Buffer.alloc(10, this.id) } }) : null;
  }
  chunkTaken(): void {
    this.sent++;
    if (this.sent < this.chunks) this.queue();
  }
}

const tick = () => new Promise((resolve) => process.nextTick(resolve));
const ids = (batch: Buffer[]) => decodeBatch(Buffer.concat(batch)).map((m) => `${m.payload}:${m.requestId}`);

describe('RequestMultiplexer', () => {
  it('allocates ids from 1, wraps past 2^32-1 to 1 (never 0) and skips ids still open', () => {
    const mux = new RequestMultiplexer();
    expect(mux.allocateId()).toBe(1);
    mux.nextId = 0xffff_ffff;
    mux.register({ id: 1 } as RequestChannel);
    expect([mux.allocateId(), mux.allocateId()]).toEqual([0xffff_ffff, 2]);
  });

  it('routes a message to its channel, hands back a head for an unknown id, drops the rest', () => {
    const mux = new RequestMultiplexer();
    const got: TunnelMessage[] = [];
    mux.register({ id: 7, receive: (m: TunnelMessage) => got.push(m) } as unknown as RequestChannel);
    const end: TunnelMessage = { requestId: 7, payload: 'end', end: {} };
    expect(mux.route(end)).toBeNull();
    expect(got).toEqual([end]);
    const head = { requestId: 9, payload: 'head', head: {} } as TunnelMessage;
    expect(mux.route(head)).toBe(head);
    expect(mux.route({ requestId: 0, payload: 'head', head: {} } as TunnelMessage)).toBeNull(); // id 0: no field
    expect(mux.route({ requestId: 9, payload: 'end', end: {} })).toBeNull(); // abandoned already
  });

  it('unregisters only the channel that holds the id, and takes all on close', () => {
    const mux = new RequestMultiplexer();
    const a = { id: 3 } as RequestChannel;
    const stale = { id: 3 } as RequestChannel;
    mux.register(a);
    mux.unregister(stale);
    expect(mux.channels.get(3)).toBe(a);
    expect(mux.takeAll()).toEqual([a]);
    expect(mux.channels.size).toBe(0);
  });
});

describe('LinkFramer', () => {
  it('sends within the smaller of both sides limits and cuts chunks to fit with their envelope', () => {
    const f = new LinkFramer(
      { maxMessageBytes: 4096, maxInflightBytes: 1 << 20, chunkSizeBytes: 16_384 },
      { maxMessageBytes: 1024, maxInflightBytes: 1 << 20 },
    );
    expect(f.sendLimitBytes).toBe(1024);
    expect(f.chunkSizeBytes).toBe(1024 - MESSAGE_OVERHEAD_BYTES);
    const chunk = f.frame({ requestId: 1, payload: 'chunk', chunk: { data: Buffer.alloc(f.chunkSizeBytes) } });
    expect(chunk.length).toBeLessThanOrEqual(1024);
  });

  it('refuses a message past the limit with MessageTooLargeError', () => {
    const f = new LinkFramer({ maxMessageBytes: 100, maxInflightBytes: 1024, chunkSizeBytes: 10 }, { maxMessageBytes: 100, maxInflightBytes: 1024 });
    expect(() => f.frame({ requestId: 1, payload: 'chunk', chunk: { data: Buffer.alloc(200) } })).toThrow(MessageTooLargeError);
  });

  it('keeps a chunk size of at least 1 byte', () => {
    const f = new LinkFramer({ maxMessageBytes: 10, maxInflightBytes: 1024, chunkSizeBytes: 16 }, { maxMessageBytes: 10, maxInflightBytes: 1024 });
    expect(f.chunkSizeBytes).toBe(1);
  });
});

describe('LinkBatcher', () => {
  const control = (id: number) => encodeFramed({ requestId: id, payload: 'end', end: {} });

  it('puts everything queued in one tick into one batch, control before data', async () => {
    const call = new RecordingCall();
    const b = new LinkBatcher(call, 1 << 20, 1 << 20);
    new ChunkSource(b, 1, 1).queue();
    b.pushControl(control(2));
    expect(call.batches).toHaveLength(0);
    await tick();
    expect(call.batches.map(ids)).toEqual([['end:2', 'chunk:1']]);
    expect([b.batchesSent, b.messagesSent]).toEqual([1, 2]);
  });

  it('writes one batch at a time; what is queued meanwhile follows once the stack took it', async () => {
    const call = new RecordingCall();
    const b = new LinkBatcher(call, 1 << 20, 1 << 20);
    b.pushControl(control(1));
    await tick();
    b.pushControl(control(2));
    b.pushControl(control(3));
    await tick();
    expect(call.batches).toHaveLength(1);
    call.take();
    expect(call.batches.map(ids)).toEqual([['end:1'], ['end:2', 'end:3']]);
  });

  it('takes body chunks round-robin, one per request at a time', async () => {
    const call = new RecordingCall();
    const b = new LinkBatcher(call, 1 << 20, 1 << 20);
    new ChunkSource(b, 1, 2).queue();
    new ChunkSource(b, 3, 2).queue();
    await tick();
    expect(call.batches.map(ids)).toEqual([['chunk:1', 'chunk:3', 'chunk:1', 'chunk:3']]);
  });

  it('closes a batch at its soft size, and never passes the hard limit but with its first message', async () => {
    const call = new RecordingCall();
    const one = control(1).length;
    const b = new LinkBatcher(call, one, 10 * one); // soft limit: one message
    for (let i = 1; i <= 3; i++) b.pushControl(control(i));
    await tick();
    call.take();
    call.take();
    expect(call.batches.map(ids)).toEqual([['end:1'], ['end:2'], ['end:3']]);
  });

  it('drops what is queued and writes nothing after stop', async () => {
    const call = new RecordingCall();
    const b = new LinkBatcher(call, 1 << 20, 1 << 20);
    b.pushControl(control(1));
    b.stop();
    await tick();
    expect(call.batches).toHaveLength(0);
  });
});
