/**
 * src/h2/frame-writer.ts: the bytes it hands the socket are exact RFC 9113 frames, in the order they were
 * gathered, read back with the stack's own frame reader (and header blocks with its HeaderBlockReader),
 * and for the small cases checked against their hex by hand. The writer pads nothing and splits no DATA
 * (the session sizes DATA to the windows and SETTINGS_MAX_FRAME_SIZE before calling `data`); it splits
 * header blocks into CONTINUATION frames, and it never overwrites bytes it has handed to the socket.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer, connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameWriter } from '../../src/h2/frame-writer.ts';
import { DEFAULT_MAX_FRAME_SIZE, type FrameHandler, FrameReader, MAX_ALLOWED_FRAME_SIZE } from '../../src/h2/frames.ts';
import { HeaderBlockReader } from '../../src/h2/inbound.ts';
import { toHex } from '../helpers/chunks.ts';
import { F, T } from '../helpers/h2-wire.ts';

/** The writer's slab (src/h2/frame-writer.ts SLAB_BYTES): frames around its end are where copies go wrong. */
const SLAB_BYTES = 64 * 1024;
/** DATA payloads up to this are copied, larger ones queued as views (COPY_DATA_MAX_BYTES). */
const COPY_DATA_MAX_BYTES = 1024;

interface Sink {
  socket: Socket;
  /** each write as the socket got it (copied when written) */
  writes: Buffer[];
  bytes(): Buffer;
}

/**
 * A writable standing in for the socket: records each write. A slow one completes its writes a turn later,
 * as a socket whose peer does not keep up, so its `highWaterMark` decides when it asks for 'drain'.
 */
function sink(highWaterMark = 1 << 30, slow = false): Sink {
  const writes: Buffer[] = [];
  const w = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      writes.push(Buffer.from(chunk));
      if (slow) setImmediate(cb);
      else cb();
    },
  });
  return { socket: w as unknown as Socket, writes, bytes: () => Buffer.concat(writes) };
}

interface ReadFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: string;
}

/** Frames as the stack's own reader reads them (DATA reassembled, with its END_STREAM flag). */
function readBack(bytes: Buffer, maxFrameSize = MAX_ALLOWED_FRAME_SIZE): ReadFrame[] {
  const frames: ReadFrame[] = [];
  let data: Buffer[] = [];
  let dataStream = 0;
  const handler: FrameHandler = {
    onFrame: (type, flags, streamId, buf, start, end) => void frames.push({ type, flags, streamId, payload: buf.toString('hex', start, end) }),
    onDataStart: (streamId) => {
      dataStream = streamId;
      data = [];
    },
    onDataBytes: (buf, start, end) => void data.push(Buffer.from(buf.subarray(start, end))),
    onDataEnd: (endStream) =>
      void frames.push({ type: T.DATA, flags: endStream ? F.END_STREAM : 0, streamId: dataStream, payload: Buffer.concat(data).toString('hex') }),
  };
  new FrameReader(handler, maxFrameSize).push(bytes);
  return frames;
}

function flushed(w: FrameWriter): Buffer {
  const s = sink();
  w.flushTo(s.socket);
  return s.bytes();
}

const bytesOf = (n: number, seed = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));

describe('frame headers (§4.1)', () => {
  it('frame(): 24-bit length, type, flags, 31-bit stream id, then room for the payload where it says', () => {
    const w = new FrameWriter();
    const [slab, at] = w.frame(0xfa, 0xa5, 0x01020304, 3);
    slab.set([0xaa, 0xbb, 0xcc], at);
    expect(toHex(flushed(w))).toBe('000003' + 'fa' + 'a5' + '01020304' + 'aabbcc');
  });

  it('the reserved bit is sent clear whatever the stream id carries (§4.1: MUST remain unset)', () => {
    const w = new FrameWriter();
    w.frame(T.RST_STREAM, 0, 0x80000005, 0);
    w.frame(T.PING, 0, 2 ** 31 - 1, 0);
    expect(toHex(flushed(w))).toBe('000000030000000005' + '0000000600' + '7fffffff');
  });

  it('a length past 16 bits (a frame larger than the slab) is written in all three octets', () => {
    const w = new FrameWriter();
    const payload = bytesOf(70_000);
    const [slab, at] = w.frame(T.HEADERS, F.END_HEADERS, 1, payload.length);
    slab.set(payload, at);
    const out = flushed(w);
    expect(toHex(out.subarray(0, 9))).toBe('011170' + '01' + '04' + '00000001');
    expect(out.subarray(9).equals(payload)).toBe(true);
  });

  it('append(): a frame built elsewhere goes out verbatim, in order with the others (a Uint8Array too)', () => {
    const w = new FrameWriter();
    w.append(Buffer.from('000000040100000000', 'hex')); // SETTINGS ACK
    const [slab, at] = w.frame(T.WINDOW_UPDATE, 0, 0, 4);
    slab.writeUInt32BE(1000, at);
    w.append(Uint8Array.from(Buffer.from('000008060100000000' + '0102030405060708', 'hex')));
    expect(toHex(flushed(w))).toBe('000000040100000000' + '000004080000000000' + '000003e8' + '000008060100000000' + '0102030405060708');
  });
});

describe('DATA (§6.1)', () => {
  it('one frame per call, the flags as given, no padding; an empty END_STREAM frame is 9 octets', () => {
    const w = new FrameWriter();
    w.data(1, Buffer.from('hello'), 0);
    w.data(3, Buffer.alloc(0), F.END_STREAM);
    w.data(1, Buffer.from('!'), F.END_STREAM);
    const out = flushed(w);
    expect(toHex(out)).toBe('000005000000000001' + '68656c6c6f' + '000000000100000003' + '000001000100000001' + '21');
    expect(readBack(out)).toEqual([
      { type: T.DATA, flags: 0, streamId: 1, payload: '68656c6c6f' },
      { type: T.DATA, flags: F.END_STREAM, streamId: 3, payload: '' },
      { type: T.DATA, flags: F.END_STREAM, streamId: 1, payload: '21' },
    ]);
  });

  it(`a payload of ${COPY_DATA_MAX_BYTES} octets is copied: the caller may reuse its buffer at once`, () => {
    const w = new FrameWriter();
    const piece = bytesOf(COPY_DATA_MAX_BYTES);
    const original = Buffer.from(piece);
    w.data(1, piece, 0);
    piece.fill(0);
    expect(readBack(flushed(w))).toEqual([{ type: T.DATA, flags: 0, streamId: 1, payload: original.toString('hex') }]);
  });

  it(`a payload of ${COPY_DATA_MAX_BYTES + 1} octets is written as a view, not copied: the caller keeps it until flushed`, () => {
    const w = new FrameWriter();
    const piece = bytesOf(COPY_DATA_MAX_BYTES + 1);
    w.data(1, piece, 0);
    piece.fill(0x5a);
    const out = flushed(w);
    expect(out.length).toBe(9 + COPY_DATA_MAX_BYTES + 1);
    expect(readBack(out)[0]!.payload).toBe(Buffer.alloc(COPY_DATA_MAX_BYTES + 1, 0x5a).toString('hex'));
  });

  it('copied and viewed payloads and other frames go out in the order they were gathered', () => {
    const w = new FrameWriter();
    const big1 = bytesOf(5000, 1);
    const big2 = bytesOf(20_000, 2);
    w.data(1, Buffer.from('a'), 0);
    w.data(1, big1, 0);
    w.append(Buffer.from('000000040100000000', 'hex'));
    w.data(3, big2, F.END_STREAM);
    w.data(1, Buffer.from('b'), F.END_STREAM);
    expect(readBack(flushed(w))).toEqual([
      { type: T.DATA, flags: 0, streamId: 1, payload: '61' },
      { type: T.DATA, flags: 0, streamId: 1, payload: big1.toString('hex') },
      { type: T.SETTINGS, flags: F.ACK, streamId: 0, payload: '' },
      { type: T.DATA, flags: F.END_STREAM, streamId: 3, payload: big2.toString('hex') },
      { type: T.DATA, flags: F.END_STREAM, streamId: 1, payload: '62' },
    ]);
  });
});

describe('header blocks: HEADERS, then CONTINUATION beyond SETTINGS_MAX_FRAME_SIZE (§6.2, §6.10)', () => {
  /** The frames headerBlock writes, read back, with each payload's length. */
  function split(blockBytes: number, maxFrameSize: number, endStream: boolean): { frames: ReadFrame[]; lengths: number[]; block: Buffer } {
    const block = bytesOf(blockBytes, 3);
    const w = new FrameWriter();
    w.headerBlock(5, block, endStream, maxFrameSize);
    const frames = readBack(flushed(w), maxFrameSize); // the reader refuses a frame over maxFrameSize
    return { frames, lengths: frames.map((f) => f.payload.length / 2), block };
  }

  it('a small block: one HEADERS with END_HEADERS (and END_STREAM when asked), checked by hand', () => {
    const w = new FrameWriter();
    w.headerBlock(1, Uint8Array.from([0x82, 0x86, 0x84]), false, DEFAULT_MAX_FRAME_SIZE);
    w.headerBlock(3, Uint8Array.from([0x88]), true, DEFAULT_MAX_FRAME_SIZE);
    w.headerBlock(5, new Uint8Array(0), true, DEFAULT_MAX_FRAME_SIZE);
    expect(toHex(flushed(w))).toBe('000003010400000001' + '828684' + '000001010500000003' + '88' + '000000010500000005');
  });

  it('a block of exactly SETTINGS_MAX_FRAME_SIZE octets still fits one frame', () => {
    const { frames, lengths } = split(DEFAULT_MAX_FRAME_SIZE, DEFAULT_MAX_FRAME_SIZE, true);
    expect(lengths).toEqual([DEFAULT_MAX_FRAME_SIZE]);
    expect(frames[0]).toMatchObject({ type: T.HEADERS, flags: F.END_HEADERS | F.END_STREAM, streamId: 5 });
  });

  it('one octet more: HEADERS without END_HEADERS (END_STREAM stays on it), then a 1-octet CONTINUATION with END_HEADERS', () => {
    const { frames, lengths, block } = split(DEFAULT_MAX_FRAME_SIZE + 1, DEFAULT_MAX_FRAME_SIZE, true);
    expect(lengths).toEqual([DEFAULT_MAX_FRAME_SIZE, 1]);
    expect(frames.map((f) => [f.type, f.flags, f.streamId])).toEqual([
      [T.HEADERS, F.END_STREAM, 5],
      [T.CONTINUATION, F.END_HEADERS, 5],
    ]);
    expect(frames.map((f) => f.payload).join('')).toBe(block.toString('hex'));
  });

  it('a block of 2.5 frames: HEADERS, CONTINUATION, CONTINUATION (END_HEADERS on the last only, END_STREAM on none)', () => {
    const { frames, lengths, block } = split(100 * 2 + 50, 100, false);
    expect(lengths).toEqual([100, 100, 50]);
    expect(frames.map((f) => [f.type, f.flags])).toEqual([
      [T.HEADERS, 0],
      [T.CONTINUATION, 0],
      [T.CONTINUATION, F.END_HEADERS],
    ]);
    expect(frames.map((f) => f.payload).join('')).toBe(block.toString('hex'));
  });

  it('a block of exactly 3 frames ends with a full CONTINUATION, not an empty one after it', () => {
    expect(split(3 * 100, 100, false).lengths).toEqual([100, 100, 100]);
  });

  it('round trip at 16 KiB frames: 40,000 octets read back as one block by the stack’s HeaderBlockReader', () => {
    const block = bytesOf(40_000, 9);
    const w = new FrameWriter();
    w.headerBlock(7, block, true, DEFAULT_MAX_FRAME_SIZE);
    const got: [number, boolean, string][] = [];
    const blocks = new HeaderBlockReader((id, endStream, buf, start, end) => void got.push([id, endStream, buf.toString('hex', start, end)]));
    const reader = new FrameReader(
      {
        onFrame: (type, flags, streamId, buf, start, end) => {
          blocks.check(type, streamId);
          if (type === T.HEADERS) blocks.headers(flags, streamId, buf, start, end);
          else blocks.continuation(flags, streamId, buf, start, end);
        },
        onDataStart: () => expect.fail('no DATA'),
        onDataBytes: () => {},
        onDataEnd: () => {},
      },
      DEFAULT_MAX_FRAME_SIZE,
    );
    reader.push(flushed(w));
    expect(got).toEqual([[7, true, block.toString('hex')]]);
  });

  it('a block larger than the slab under a larger SETTINGS_MAX_FRAME_SIZE: one frame, intact', () => {
    const { lengths, frames, block } = split(SLAB_BYTES + 10, 100_000, false);
    expect(lengths).toEqual([SLAB_BYTES + 10]);
    expect(frames[0]!.payload).toBe(block.toString('hex'));
  });
});

describe('the slab', () => {
  it('frames that fill it exactly, and one that would not fit, go to a new slab with nothing lost or shifted', () => {
    const w = new FrameWriter();
    const filler = bytesOf(SLAB_BYTES - 20, 4);
    w.append(filler);
    const [a, at] = w.frame(T.PING, 0, 0, 11); // ends exactly at the slab's end
    a.fill(0x11, at, at + 11);
    const [b, bt] = w.frame(T.PING, 0, 0, 8); // a new slab
    b.fill(0x22, bt, bt + 8);
    w.data(1, Buffer.alloc(10, 0x33), 0);
    const out = flushed(w);
    expect(out.length).toBe(SLAB_BYTES + 17 + 19);
    expect(out.subarray(0, filler.length).equals(filler)).toBe(true);
    expect(toHex(out.subarray(filler.length))).toBe(
      `00000b060000000000${'11'.repeat(11)}000008060000000000${'22'.repeat(8)}00000a000000000001${'33'.repeat(10)}`,
    );
  });

  it('10,000 small frames over several slabs come out whole and in order', () => {
    const w = new FrameWriter();
    for (let i = 0; i < 10_000; i++) {
      const [slab, at] = w.frame(T.WINDOW_UPDATE, 0, 2 * i + 1, 4);
      slab.writeUInt32BE(i + 1, at);
    }
    const frames = readBack(flushed(w));
    expect(frames).toHaveLength(10_000);
    const wrong = frames.findIndex((f, i) => f.type !== T.WINDOW_UPDATE || f.streamId !== 2 * i + 1 || f.payload !== (i + 1).toString(16).padStart(8, '0'));
    expect(wrong, `frame ${wrong}: ${JSON.stringify(frames[wrong])}`).toBe(-1);
  });
});

describe('flushTo', () => {
  it('with nothing gathered writes nothing and says go on', () => {
    const s = sink();
    expect(new FrameWriter().flushTo(s.socket)).toBe(true);
    expect(s.writes).toEqual([]);
  });

  it('writes what was gathered once: a second flush writes only what came after the first', () => {
    const w = new FrameWriter();
    const s = sink();
    w.data(1, Buffer.from('a'), 0);
    w.flushTo(s.socket);
    w.data(1, Buffer.from('b'), F.END_STREAM);
    w.flushTo(s.socket);
    w.flushTo(s.socket);
    expect(s.writes.map(toHex)).toEqual(['00000100000000000161', '00000100010000000162']);
  });

  it('one write of one segment returns the socket’s answer: false once the socket wants a drain', () => {
    const small = new FrameWriter();
    small.data(1, Buffer.alloc(10), 0);
    expect(small.flushTo(sink(1000, true).socket)).toBe(true);
    const large = new FrameWriter();
    large.data(1, Buffer.alloc(1000), 0);
    expect(large.flushTo(sink(1000, true).socket)).toBe(false);
  });

  it('several segments go out corked, in order, and the answer is whether the socket needs a drain', () => {
    const view = bytesOf(4000);
    const gather = (): FrameWriter => {
      const w = new FrameWriter();
      w.data(1, Buffer.from('x'), 0);
      w.data(1, view, 0);
      w.data(1, Buffer.from('y'), F.END_STREAM);
      return w;
    };
    const roomy = sink();
    expect(gather().flushTo(roomy.socket)).toBe(true);
    expect(roomy.writes.map((b) => b.length)).toEqual([9 + 1 + 9, 4000, 9 + 1]);
    expect(readBack(roomy.bytes()).map((f) => f.payload)).toEqual(['78', view.toString('hex'), '79']);
    expect(gather().flushTo(sink(4000, true).socket)).toBe(false);
    expect(gather().flushTo(sink(5000, true).socket)).toBe(true);
  });

  it('to a destroyed or ended socket writes nothing (no write-after-end error either), and drops what was gathered', async () => {
    for (const end of [(s: Writable) => s.destroy(), (s: Writable) => s.end()]) {
      const w = new FrameWriter();
      const gone = sink();
      const errors: unknown[] = [];
      const stream = gone.socket as unknown as Writable;
      stream.on('error', (err) => errors.push(err));
      end(stream);
      const before = gone.writes.length;
      w.data(1, Buffer.from('lost'), 0);
      w.data(1, bytesOf(2000), 0);
      expect(w.flushTo(gone.socket)).toBe(true);
      await new Promise((r) => setImmediate(r)); // stream errors are emitted a tick later
      expect(errors).toEqual([]);
      expect(gone.writes).toHaveLength(before);
      const live = sink();
      w.data(3, Buffer.from('kept'), 0);
      w.flushTo(live.socket);
      expect(readBack(live.bytes())).toEqual([{ type: T.DATA, flags: 0, streamId: 3, payload: Buffer.from('kept').toString('hex') }]);
    }
  });

  it('never writes over bytes handed to a socket that still holds them (writes queued behind a slow peer)', async () => {
    // a socket that keeps the very buffers it was given until it gets to them, as net.Socket does
    const held: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, cb) {
        held.push(chunk);
        setImmediate(cb);
      },
    });
    const w = new FrameWriter();
    const expected: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 1000; i++) {
        const payload = Buffer.alloc(30, (round * 1000 + i) & 0xff);
        w.data(1, payload, 0);
        expected.push(Buffer.concat([Buffer.from('00001e000000000001', 'hex'), payload]));
      }
      w.append(Buffer.alloc(2000, round)); // a view-sized append is still copied: it must not land on queued bytes either
      expected.push(Buffer.alloc(2000, round));
      w.flushTo(slow as unknown as Socket);
    }
    if (slow.writableLength > 0) await once(slow, 'drain');
    expect(Buffer.concat(held).equals(Buffer.concat(expected))).toBe(true);
  });
});

describe('flushTo a real socket', () => {
  const closers: (() => void)[] = [];
  afterEach(() => {
    for (const c of closers.splice(0)) c();
  });

  it('the peer reads exactly the frames gathered', async () => {
    const received: Buffer[] = [];
    const server = createServer((s) => s.on('data', (c: Buffer) => received.push(c)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(() => server.close());
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    closers.push(() => client.destroy());
    await once(client, 'connect');
    const w = new FrameWriter();
    const big = bytesOf(100_000);
    w.append(Buffer.from('000000040100000000', 'hex'));
    w.headerBlock(1, bytesOf(20_000), false, DEFAULT_MAX_FRAME_SIZE);
    w.data(1, big.subarray(0, 16_384), 0);
    w.data(1, big.subarray(16_384), F.END_STREAM);
    const expectedBytes = 9 + 9 + 16_384 + 9 + (20_000 - 16_384) + 9 + 16_384 + 9 + (100_000 - 16_384);
    w.flushTo(client);
    const until = Date.now() + 5000;
    while (Buffer.concat(received).length < expectedBytes && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const frames = readBack(Buffer.concat(received));
    expect(frames.map((f) => [f.type, f.flags, f.payload.length / 2])).toEqual([
      [T.SETTINGS, F.ACK, 0],
      [T.HEADERS, 0, 16_384],
      [T.CONTINUATION, F.END_HEADERS, 20_000 - 16_384],
      [T.DATA, 0, 16_384],
      [T.DATA, F.END_STREAM, 100_000 - 16_384],
    ]);
    expect(frames[3]!.payload + frames[4]!.payload).toBe(big.toString('hex'));
  });
});
