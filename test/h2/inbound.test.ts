/**
 * src/h2/inbound.ts at its boundary: whole non-DATA frames in (built independently by test/helpers/h2-wire.ts),
 * and out the calls a connection gets (settings, window updates, resets, GOAWAY, stream errors, replies,
 * whole header blocks) or the connection error RFC 9113 names, thrown as a FrameError. Every limit is tried
 * at its value and one past it. Payloads are handed over inside a larger buffer, as the frame reader does,
 * so a read outside [start, end) shows.
 */
import { describe, expect, it } from 'vitest';
import { ErrorCode, FrameError } from '../../src/h2/errors.ts';
import { FrameReader, type FrameHandler } from '../../src/h2/frames.ts';
import { connectionErrorOf, dispatchFrame, type FrameTarget, HeaderBlockReader, readSettings, type SettingsChange } from '../../src/h2/inbound.ts';
import { DEFAULT_MAX_CONTINUATION_FRAMES } from '../../src/h2/limits.ts';
import { chunkings, toHex } from '../helpers/chunks.ts';
import { E, F, frame, literal, ping, rst, settings, T, u32, windowUpdate } from '../helpers/h2-wire.ts';

type Event =
  | { block: number; endStream: boolean; bytes: string; badPriority: boolean }
  | { settings: SettingsChange | null }
  | { windowUpdate: number; increment: number }
  | { rst: number; code: number }
  | { goaway: number; code: number }
  | { streamError: number; code: number; message: string }
  | { reply: string };

/** A connection as dispatchFrame sees it, recording every call. */
class Conn implements FrameTarget {
  readonly events: Event[] = [];
  readonly blocks: HeaderBlockReader;

  constructor(maxBlockBytes?: number, maxContinuations?: number) {
    this.blocks = new HeaderBlockReader(
      (streamId, endStream, buf, start, end, badPriority) =>
        this.events.push({ block: streamId, endStream, bytes: buf.toString('hex', start, end), badPriority }),
      maxBlockBytes,
      maxContinuations,
    );
  }
  onSettings(change: SettingsChange | null): void {
    this.events.push({ settings: change });
  }
  onWindowUpdate(streamId: number, increment: number): void {
    this.events.push({ windowUpdate: streamId, increment });
  }
  onRstStream(streamId: number, code: number): void {
    this.events.push({ rst: streamId, code });
  }
  onGoaway(lastStreamId: number, errorCode: number): void {
    this.events.push({ goaway: lastStreamId, code: errorCode });
  }
  onStreamError(streamId: number, code: number, message: string): void {
    this.events.push({ streamError: streamId, code, message });
  }
  reply(f: Uint8Array): void {
    this.events.push({ reply: toHex(f) });
  }
}

/** Bytes around a frame's payload that dispatchFrame must not read. */
const JUNK = Buffer.alloc(5, 0xee);

/** Dispatches one wire frame (header included) with its payload inside a larger buffer; returns that buffer. */
function feed(c: Conn, wire: Buffer): Buffer {
  const length = wire.readUIntBE(0, 3);
  const buf = Buffer.concat([JUNK, wire, JUNK]);
  const start = JUNK.length + 9;
  dispatchFrame(c, wire[3]!, wire[4]!, wire.readUInt32BE(5) & 0x7fffffff, buf, start, start + length);
  return buf;
}

/** The connection error (GOAWAY code) feeding these frames ends with, or null if they are all taken. */
function errorOf(c: Conn, ...frames: Buffer[]): { code: number; message: string } | null {
  try {
    for (const f of frames) feed(c, f);
  } catch (err) {
    if (!(err instanceof FrameError)) throw err;
    return { code: err.errorCode, message: err.message };
  }
  return null;
}

function codeOf(...frames: Buffer[]): number | null {
  return errorOf(new Conn(), ...frames)?.code ?? null;
}

const headersFrame = (streamId: number, flags: number, payload: Uint8Array): Buffer => frame(T.HEADERS, flags, streamId, payload);
const continuation = (streamId: number, flags: number, payload: Uint8Array = Buffer.alloc(0)): Buffer => frame(T.CONTINUATION, flags, streamId, payload);
/** Priority fields (§6.2): exclusive bit, 31-bit dependency, weight. */
const priority = (dependsOn: number, exclusive = false, weight = 16): Buffer =>
  Buffer.concat([u32((exclusive ? 0x80000000 : 0) | dependsOn), Buffer.from([weight])]);
/** The same frame on another stream. */
const onStream = (f: Buffer, streamId: number): Buffer => {
  const g = Buffer.from(f);
  g.writeUInt32BE(streamId, 5);
  return g;
};

const BLOCK = literal('x-a', '1'); // any bytes: HPACK is not inbound.ts's business
const MORE = literal('x-b', '22');
const LAST = literal('x-c', '333');

describe('control frames (§6.3–§6.9)', () => {
  it('SETTINGS: each known setting read into a change, the last value of a repeated one winning', () => {
    const c = new Conn();
    feed(
      c,
      settings([
        [3, 100],
        [4, 1],
        [5, 20_000],
        [6, 8192],
        [2, 0],
        [3, 7],
      ]),
    );
    expect(c.events).toEqual([{ settings: { maxConcurrentStreams: 7, initialWindowSize: 1, maxFrameSize: 20_000, maxHeaderListSize: 8192, enablePush: 0 } }]);
  });

  it('SETTINGS: HEADER_TABLE_SIZE, ENABLE_CONNECT_PROTOCOL and unknown ids change nothing (§6.5.2); an empty frame is no change; an ACK is null', () => {
    const c = new Conn();
    feed(
      c,
      settings([
        [1, 4096],
        [8, 1],
        [0x99, 12345],
        [0xffff, 0],
      ]),
    );
    feed(c, settings());
    feed(c, settings([], F.ACK));
    expect(c.events).toEqual([{ settings: {} }, { settings: {} }, { settings: null }]);
  });

  it.each([
    ['ENABLE_PUSH 1', 2, 1, null],
    ['ENABLE_PUSH 2', 2, 2, E.PROTOCOL_ERROR],
    ['INITIAL_WINDOW_SIZE 2^31-1', 4, 2 ** 31 - 1, null],
    ['INITIAL_WINDOW_SIZE 2^31', 4, 2 ** 31, E.FLOW_CONTROL_ERROR],
    ['MAX_FRAME_SIZE 2^14', 5, 16_384, null],
    ['MAX_FRAME_SIZE 2^14-1', 5, 16_383, E.PROTOCOL_ERROR],
    ['MAX_FRAME_SIZE 2^24-1', 5, 16_777_215, null],
    ['MAX_FRAME_SIZE 2^24', 5, 16_777_216, E.PROTOCOL_ERROR],
    ['ENABLE_CONNECT_PROTOCOL 1 (RFC 8441)', 8, 1, null],
    ['ENABLE_CONNECT_PROTOCOL 2', 8, 2, E.PROTOCOL_ERROR],
    ['MAX_CONCURRENT_STREAMS 0', 3, 0, null],
    ['MAX_CONCURRENT_STREAMS 2^32-1', 3, 0xffffffff, null],
    ['MAX_HEADER_LIST_SIZE 2^32-1', 6, 0xffffffff, null],
  ])('SETTINGS %s → %s', (_name, id, value, code) => {
    expect(codeOf(settings([[id, value]]))).toBe(code);
  });

  it('SETTINGS: a refused value ends the connection even after good entries in the same frame', () => {
    const c = new Conn();
    expect(
      errorOf(
        c,
        settings([
          [3, 10],
          [5, 100],
        ]),
      ),
    ).toEqual({ code: E.PROTOCOL_ERROR, message: 'MAX_FRAME_SIZE 100 out of range' });
    expect(c.events).toEqual([]);
  });

  it.each([
    ['on a stream', onStream(settings([[3, 1]]), 1), E.PROTOCOL_ERROR],
    ['an ACK on a stream', onStream(settings([], F.ACK), 3), E.PROTOCOL_ERROR],
    ['of 5 octets', frame(T.SETTINGS, 0, 0, Buffer.alloc(5)), E.FRAME_SIZE_ERROR],
    ['of 7 octets', frame(T.SETTINGS, 0, 0, Buffer.alloc(7)), E.FRAME_SIZE_ERROR],
    ['ACK with a payload', settings([[3, 1]], F.ACK), E.FRAME_SIZE_ERROR],
  ])('SETTINGS %s is a connection error', (_name, f, code) => {
    expect(codeOf(f)).toBe(code);
  });

  it('readSettings reads only [start, end) of the buffer it is given', () => {
    const buf = Buffer.concat([Buffer.from([0, 5, 0, 0, 0, 1]), settings([[3, 9]]).subarray(9), Buffer.from([0, 4, 0xff, 0xff, 0xff, 0xff])]);
    expect(readSettings(0, buf, 6, 12)).toEqual({ maxConcurrentStreams: 9 });
  });

  it('WINDOW_UPDATE: the increment, on the connection or a stream, with the reserved bit ignored (§6.9)', () => {
    const c = new Conn();
    feed(c, windowUpdate(0, 2 ** 31 - 1));
    feed(c, windowUpdate(5, 0x80000000 | 1000));
    feed(c, windowUpdate(7, 0)); // 0 is the connection's to judge: a stream error on a stream, a connection error on 0
    expect(c.events).toEqual([
      { windowUpdate: 0, increment: 2 ** 31 - 1 },
      { windowUpdate: 5, increment: 1000 },
      { windowUpdate: 7, increment: 0 },
    ]);
  });

  it.each([3, 5])('WINDOW_UPDATE of %i octets is a FRAME_SIZE_ERROR', (n) => {
    expect(codeOf(frame(T.WINDOW_UPDATE, 0, 1, Buffer.alloc(n, 1)))).toBe(E.FRAME_SIZE_ERROR);
  });

  it('RST_STREAM: the stream and its code, unknown codes included (§7: not an error)', () => {
    const c = new Conn();
    feed(c, rst(3, E.CANCEL));
    feed(c, rst(2 ** 31 - 1, 0xdeadbeef));
    expect(c.events).toEqual([
      { rst: 3, code: E.CANCEL },
      { rst: 2 ** 31 - 1, code: 0xdeadbeef },
    ]);
  });

  it.each([
    ['on stream 0', rst(0, E.CANCEL), E.PROTOCOL_ERROR],
    ['of 3 octets', frame(T.RST_STREAM, 0, 1, Buffer.alloc(3)), E.FRAME_SIZE_ERROR],
    ['of 5 octets', frame(T.RST_STREAM, 0, 1, Buffer.alloc(5)), E.FRAME_SIZE_ERROR],
  ])('RST_STREAM %s is a connection error', (_name, f, code) => {
    expect(codeOf(f)).toBe(code);
  });

  it('PING: answered with a PING ACK carrying the same 8 octets, a copy that outlives the read buffer (§6.7)', () => {
    const c = new Conn();
    const buf = feed(c, ping(Buffer.from('0102030405060708', 'hex')));
    buf.fill(0);
    expect(c.events).toEqual([{ reply: '000008060100000000' + '0102030405060708' }]);
  });

  it('PING ACK: not answered', () => {
    const c = new Conn();
    feed(c, frame(T.PING, F.ACK, 0, Buffer.alloc(8, 3)));
    expect(c.events).toEqual([]);
  });

  it.each([
    ['on a stream', frame(T.PING, 0, 1, Buffer.alloc(8)), E.PROTOCOL_ERROR],
    ['of 7 octets', frame(T.PING, 0, 0, Buffer.alloc(7)), E.FRAME_SIZE_ERROR],
    ['of 9 octets', frame(T.PING, 0, 0, Buffer.alloc(9)), E.FRAME_SIZE_ERROR],
    ['ACK of 0 octets', frame(T.PING, F.ACK, 0), E.FRAME_SIZE_ERROR],
  ])('PING %s is a connection error', (_name, f, code) => {
    expect(codeOf(f)).toBe(code);
  });

  it('GOAWAY: the last stream id (reserved bit ignored) and the code; debug data is allowed (§6.8)', () => {
    const c = new Conn();
    feed(c, frame(T.GOAWAY, 0, 0, u32(0x80000000 | 9, E.ENHANCE_YOUR_CALM)));
    feed(c, frame(T.GOAWAY, 0, 0, Buffer.concat([u32(0, E.NO_ERROR), Buffer.from('bye')])));
    expect(c.events).toEqual([
      { goaway: 9, code: E.ENHANCE_YOUR_CALM },
      { goaway: 0, code: E.NO_ERROR },
    ]);
  });

  it.each([
    ['on a stream', frame(T.GOAWAY, 0, 1, u32(0, 0)), E.PROTOCOL_ERROR],
    ['of 7 octets', frame(T.GOAWAY, 0, 0, Buffer.alloc(7)), E.FRAME_SIZE_ERROR],
  ])('GOAWAY %s is a connection error', (_name, f, code) => {
    expect(codeOf(f)).toBe(code);
  });

  it('PRIORITY: 5 well-formed octets are read and ignored (RFC 9113 deprecates the scheme)', () => {
    const c = new Conn();
    feed(c, frame(T.PRIORITY, 0, 3, priority(1, true, 255)));
    feed(c, frame(T.PRIORITY, 0, 5, priority(0)));
    expect(c.events).toEqual([]);
  });

  it.each([
    ['of 4 octets', 3, Buffer.alloc(4), E.FRAME_SIZE_ERROR],
    ['of 6 octets', 3, Buffer.alloc(6), E.FRAME_SIZE_ERROR],
    ['making the stream depend on itself', 3, priority(3), E.PROTOCOL_ERROR],
    ['making the stream depend on itself, exclusively', 3, priority(3, true), E.PROTOCOL_ERROR],
  ])('PRIORITY %s is a stream error on that stream, not a connection error (§6.3, §5.3.1)', (_name, streamId, payload, code) => {
    const c = new Conn();
    expect(errorOf(c, frame(T.PRIORITY, 0, streamId, payload))).toBeNull();
    expect(c.events).toEqual([{ streamError: streamId, code, message: expect.any(String) }]);
  });

  it('PRIORITY on stream 0 is a connection error (§6.3)', () => {
    expect(codeOf(frame(T.PRIORITY, 0, 0, priority(1)))).toBe(E.PROTOCOL_ERROR);
  });

  it('PUSH_PROMISE is a connection error: push is disabled (§8.4)', () => {
    expect(codeOf(frame(T.PUSH_PROMISE, F.END_HEADERS, 1, Buffer.concat([u32(2), BLOCK])))).toBe(E.PROTOCOL_ERROR);
  });

  it.each([0x0a, 0x10, 0xfa, 0xff])('an unknown frame type (%i) is ignored (§5.5)', (type) => {
    const c = new Conn();
    expect(errorOf(c, frame(type, 0xff, 0, Buffer.alloc(3)), frame(type, 0, 7))).toBeNull();
    expect(c.events).toEqual([]);
  });
});

describe('HEADERS (§6.2)', () => {
  const block = (streamId: number, bytes: Buffer, endStream = false, badPriority = false): Event => ({
    block: streamId,
    endStream,
    bytes: bytes.toString('hex'),
    badPriority,
  });

  it('with END_HEADERS: the block handed over at once, END_STREAM carried', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS, BLOCK));
    feed(c, headersFrame(3, F.END_HEADERS | F.END_STREAM, MORE));
    expect(c.events).toEqual([block(1, BLOCK), block(3, MORE, true)]);
    expect(c.blocks.pending).toBe(false);
  });

  it('an empty block is a block', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS, Buffer.alloc(0)));
    expect(c.events).toEqual([block(1, Buffer.alloc(0))]);
  });

  it('PADDED: the pad length and the padding are stripped; padding may leave an empty fragment', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS | F.PADDED, Buffer.concat([Buffer.from([3]), BLOCK, Buffer.alloc(3)])));
    feed(c, headersFrame(3, F.END_HEADERS | F.PADDED, Buffer.concat([Buffer.from([0]), MORE])));
    feed(c, headersFrame(5, F.END_HEADERS | F.PADDED, Buffer.from([4, 0, 0, 0, 0]))); // padding = all that is left
    expect(c.events).toEqual([block(1, BLOCK), block(3, MORE), block(5, Buffer.alloc(0))]);
  });

  it('PADDED: padding one octet longer than what is left is a PROTOCOL_ERROR (§6.2, §6.1)', () => {
    expect(codeOf(headersFrame(5, F.END_HEADERS | F.PADDED, Buffer.from([5, 0, 0, 0, 0])))).toBe(E.PROTOCOL_ERROR);
    expect(codeOf(headersFrame(5, F.END_HEADERS | F.PADDED, Buffer.concat([Buffer.from([255]), BLOCK])))).toBe(E.PROTOCOL_ERROR);
  });

  it('PADDED without room for the pad length is a FRAME_SIZE_ERROR (§4.2)', () => {
    expect(codeOf(headersFrame(1, F.END_HEADERS | F.PADDED, Buffer.alloc(0)))).toBe(E.FRAME_SIZE_ERROR);
  });

  it('PRIORITY: the 5 priority octets are stripped; a dependency on the stream itself is flagged, not thrown (§5.3.1)', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS, Buffer.concat([priority(0), BLOCK]))); // no PRIORITY flag: all of it is the block
    feed(c, headersFrame(3, F.END_HEADERS | F.PRIORITY, Buffer.concat([priority(1, true), BLOCK])));
    feed(c, headersFrame(5, F.END_HEADERS | F.PRIORITY, Buffer.concat([priority(5), MORE])));
    feed(c, headersFrame(7, F.END_HEADERS | F.PRIORITY | F.END_STREAM, Buffer.concat([priority(7, true, 0), LAST])));
    expect(c.events).toEqual([block(1, Buffer.concat([priority(0), BLOCK])), block(3, BLOCK), block(5, MORE, false, true), block(7, LAST, true, true)]);
  });

  it.each([0, 4])('PRIORITY with %i octets (too few for its fields) is a FRAME_SIZE_ERROR', (n) => {
    expect(codeOf(headersFrame(1, F.END_HEADERS | F.PRIORITY, Buffer.alloc(n)))).toBe(E.FRAME_SIZE_ERROR);
  });

  it('PADDED and PRIORITY: pad length, priority fields and padding all stripped (the vector of test/h2/frames.test.ts)', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.from('02' + '8000000310' + '88' + '0000', 'hex')));
    expect(c.events).toEqual([block(1, Buffer.from([0x88]))]);
  });

  it('PADDED and PRIORITY: padding that takes exactly what follows the priority fields leaves an empty block', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.concat([Buffer.from([2]), priority(0), Buffer.alloc(2)])));
    expect(c.events).toEqual([block(1, Buffer.alloc(0))]);
  });

  it('PADDED and PRIORITY: padding longer than what follows the priority fields is a PROTOCOL_ERROR (§6.2), not a FRAME_SIZE_ERROR', () => {
    // 6 octets hold the pad length and the priority fields: the frame is big enough, its padding is not possible
    expect(codeOf(headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.concat([Buffer.from([1]), priority(0)])))).toBe(E.PROTOCOL_ERROR);
    expect(codeOf(headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.concat([Buffer.from([3]), priority(0), Buffer.alloc(2)])))).toBe(
      E.PROTOCOL_ERROR,
    );
    // too small for the pad length and the priority fields: that one is a FRAME_SIZE_ERROR
    expect(codeOf(headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.from([0, 0, 0, 0, 0])))).toBe(E.FRAME_SIZE_ERROR);
  });

  it('on stream 0 is a PROTOCOL_ERROR', () => {
    expect(codeOf(headersFrame(0, F.END_HEADERS, BLOCK))).toBe(E.PROTOCOL_ERROR);
    expect(codeOf(headersFrame(0, 0, BLOCK))).toBe(E.PROTOCOL_ERROR);
  });
});

describe('CONTINUATION (§6.10)', () => {
  const joined = (...parts: Buffer[]): string => Buffer.concat(parts).toString('hex');

  it('a block over HEADERS and CONTINUATION frames is handed over once, whole, with the HEADERS frame’s END_STREAM and priority', () => {
    const c = new Conn();
    feed(c, headersFrame(3, F.END_STREAM | F.PRIORITY | F.PADDED, Buffer.concat([Buffer.from([2]), priority(3), BLOCK, Buffer.alloc(2)])));
    expect(c.blocks.pending).toBe(true);
    feed(c, continuation(3, 0, MORE));
    expect(c.events).toEqual([]);
    feed(c, continuation(3, F.END_HEADERS, LAST));
    expect(c.events).toEqual([{ block: 3, endStream: true, bytes: joined(BLOCK, MORE, LAST), badPriority: true }]);
    expect(c.blocks.pending).toBe(false);
  });

  it('END_STREAM is taken from HEADERS only: the same bit on a CONTINUATION means nothing', () => {
    const c = new Conn();
    feed(c, headersFrame(1, 0, BLOCK));
    feed(c, continuation(1, F.END_HEADERS | 0x1, MORE));
    expect(c.events).toEqual([{ block: 1, endStream: false, bytes: joined(BLOCK, MORE), badPriority: false }]);
  });

  it('empty fragments (HEADERS or CONTINUATION) add nothing to the block', () => {
    const c = new Conn();
    feed(c, headersFrame(1, 0, Buffer.alloc(0)));
    feed(c, continuation(1, 0));
    feed(c, continuation(1, 0, BLOCK));
    feed(c, continuation(1, F.END_HEADERS));
    expect(c.events).toEqual([{ block: 1, endStream: false, bytes: joined(BLOCK), badPriority: false }]);
  });

  it('keeps its own copy of a fragment: the read buffer may be reused before the block ends', () => {
    const c = new Conn();
    feed(c, headersFrame(1, 0, BLOCK)).fill(0);
    feed(c, continuation(1, 0, MORE)).fill(0);
    feed(c, continuation(1, F.END_HEADERS, LAST));
    expect(c.events).toEqual([{ block: 1, endStream: false, bytes: joined(BLOCK, MORE, LAST), badPriority: false }]);
  });

  it('a second block after the first: its own stream, flags and bytes, nothing of the first left over', () => {
    const c = new Conn();
    feed(c, headersFrame(1, F.END_STREAM | F.PRIORITY, Buffer.concat([priority(1), BLOCK])));
    feed(c, continuation(1, F.END_HEADERS, MORE));
    feed(c, headersFrame(3, 0, LAST));
    feed(c, continuation(3, F.END_HEADERS, BLOCK));
    expect(c.events).toEqual([
      { block: 1, endStream: true, bytes: joined(BLOCK, MORE), badPriority: true },
      { block: 3, endStream: false, bytes: joined(LAST, BLOCK), badPriority: false },
    ]);
  });

  it.each([
    ['PING', ping()],
    ['SETTINGS', settings()],
    ['WINDOW_UPDATE', windowUpdate(0, 1)],
    ['RST_STREAM on the same stream', rst(1, E.CANCEL)],
    ['PRIORITY on the same stream', frame(T.PRIORITY, 0, 1, priority(0))],
    ['HEADERS on the same stream', headersFrame(1, F.END_HEADERS, MORE)],
    ['HEADERS on another stream', headersFrame(3, F.END_HEADERS, MORE)],
    ['CONTINUATION on another stream', continuation(3, F.END_HEADERS, MORE)],
    ['an unknown frame type (§5.5: not inside a block)', frame(0xfa, 0, 0, Buffer.alloc(2))],
  ])('%s inside a header block is a PROTOCOL_ERROR (§4.3)', (_name, f) => {
    const c = new Conn();
    expect(errorOf(c, headersFrame(1, 0, BLOCK), f)).toEqual({ code: E.PROTOCOL_ERROR, message: 'expected CONTINUATION' });
    expect(c.events).toEqual([]);
  });

  it('DATA inside a header block is a PROTOCOL_ERROR (checkData, called by the connection for DATA frames)', () => {
    const c = new Conn();
    expect(() => c.blocks.checkData()).not.toThrow();
    feed(c, headersFrame(1, 0, BLOCK));
    expect(() => c.blocks.checkData()).toThrow(expect.objectContaining({ errorCode: ErrorCode.PROTOCOL_ERROR }));
    feed(c, continuation(1, F.END_HEADERS));
    expect(() => c.blocks.checkData()).not.toThrow();
  });

  it.each([
    ['with no block open', [continuation(1, F.END_HEADERS, BLOCK)]],
    ['after the block ended', [headersFrame(1, 0, BLOCK), continuation(1, F.END_HEADERS), continuation(1, F.END_HEADERS)]],
    ['after a HEADERS with END_HEADERS', [headersFrame(1, F.END_HEADERS, BLOCK), continuation(1, F.END_HEADERS)]],
    ['on stream 0', [continuation(0, F.END_HEADERS)]],
  ])('a CONTINUATION %s is a PROTOCOL_ERROR', (_name, frames) => {
    expect(errorOf(new Conn(), ...frames)).toEqual({ code: E.PROTOCOL_ERROR, message: 'unexpected CONTINUATION' });
  });
});

describe('header block limits (src/h2/limits.ts)', () => {
  const flood = (n: number, last: number = F.END_HEADERS): Buffer[] => [
    headersFrame(1, 0, BLOCK),
    ...Array.from({ length: n }, (_, i) => continuation(1, i === n - 1 ? last : 0)),
  ];

  it(`CONTINUATION frames per block: ${DEFAULT_MAX_CONTINUATION_FRAMES} by default are taken, one more is ENHANCE_YOUR_CALM (nghttp2 max_continuations)`, () => {
    const ok = new Conn();
    expect(errorOf(ok, ...flood(DEFAULT_MAX_CONTINUATION_FRAMES))).toBeNull();
    expect(ok.events).toHaveLength(1);
    // the 9th is refused when it arrives, without END_HEADERS: a flood never gets to finish its block
    expect(errorOf(new Conn(), ...flood(DEFAULT_MAX_CONTINUATION_FRAMES + 1, 0))).toEqual({
      code: E.ENHANCE_YOUR_CALM,
      message: `more than ${DEFAULT_MAX_CONTINUATION_FRAMES} CONTINUATION frames in one header block`,
    });
  });

  it('CONTINUATION frames per block: the limit is an option, and counts per block', () => {
    const c = new Conn(undefined, 2);
    expect(errorOf(c, ...flood(2), ...flood(2))).toBeNull();
    expect(c.events).toHaveLength(2);
    expect(errorOf(new Conn(undefined, 2), ...flood(3, 0))?.code).toBe(E.ENHANCE_YOUR_CALM);
    expect(errorOf(new Conn(undefined, 0), ...flood(1))?.code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('block bytes in one HEADERS frame: the limit is taken, one more octet is ENHANCE_YOUR_CALM; padding and priority do not count', () => {
    const max = 40;
    const fragment = Buffer.alloc(max, 0x41);
    const c = new Conn(max);
    feed(c, headersFrame(1, F.END_HEADERS | F.PADDED | F.PRIORITY, Buffer.concat([Buffer.from([10]), priority(0), fragment, Buffer.alloc(10)])));
    feed(c, headersFrame(3, 0, fragment));
    feed(c, continuation(3, F.END_HEADERS));
    expect(c.events).toHaveLength(2);
    const over = Buffer.alloc(max + 1, 0x41);
    expect(errorOf(new Conn(max), headersFrame(1, F.END_HEADERS, over))).toEqual({
      code: E.ENHANCE_YOUR_CALM,
      message: `header block larger than ${max} bytes`,
    });
    expect(errorOf(new Conn(max), headersFrame(1, 0, over))?.code).toBe(E.ENHANCE_YOUR_CALM); // before any CONTINUATION
  });

  it('block bytes over HEADERS and CONTINUATION frames: the sum is checked as each frame arrives', () => {
    const max = 30;
    const ten = Buffer.alloc(10, 0x42);
    const c = new Conn(max);
    expect(errorOf(c, headersFrame(1, 0, ten), continuation(1, 0, ten), continuation(1, F.END_HEADERS, ten))).toBeNull();
    expect(c.events).toEqual([{ block: 1, endStream: false, bytes: Buffer.alloc(30, 0x42).toString('hex'), badPriority: false }]);
    expect(errorOf(new Conn(max), headersFrame(1, 0, ten), continuation(1, 0, ten), continuation(1, 0, Buffer.alloc(11)))?.code).toBe(E.ENHANCE_YOUR_CALM);
  });

  it('without a byte limit (the default), a large block is taken', () => {
    const c = new Conn();
    const big = Buffer.alloc(16_384, 0x43);
    expect(errorOf(c, headersFrame(1, 0, big), ...Array.from({ length: 8 }, (_, i) => continuation(1, i === 7 ? F.END_HEADERS : 0, big)))).toBeNull();
    expect(c.events).toHaveLength(1);
  });
});

describe('through the frame reader, fed whole, byte by byte and split at every offset', () => {
  // SETTINGS · HEADERS (PADDED|PRIORITY, no END_HEADERS) · CONTINUATION · CONTINUATION (END_HEADERS) · PING ·
  // WINDOW_UPDATE · GOAWAY: the block's fragments straddle reads in every way the splits allow
  const vector = Buffer.concat([
    settings([[4, 1000]]),
    headersFrame(1, F.END_STREAM | F.PADDED | F.PRIORITY, Buffer.concat([Buffer.from([2]), priority(0), BLOCK, Buffer.alloc(2)])),
    continuation(1, 0, MORE),
    continuation(1, F.END_HEADERS, LAST),
    ping(Buffer.from('a1a2a3a4a5a6a7a8', 'hex')),
    windowUpdate(1, 77),
    frame(T.GOAWAY, 0, 0, u32(1, 0)),
  ]);
  const expected: Event[] = [
    { settings: { initialWindowSize: 1000 } },
    { block: 1, endStream: true, bytes: Buffer.concat([BLOCK, MORE, LAST]).toString('hex'), badPriority: false },
    { reply: '000008060100000000a1a2a3a4a5a6a7a8' },
    { windowUpdate: 1, increment: 77 },
    { goaway: 1, code: 0 },
  ];

  class Wired extends Conn implements FrameHandler {
    onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
      dispatchFrame(this, type, flags, streamId, buf, start, end);
    }
    onDataStart(): void {
      throw new Error('no DATA in this vector');
    }
    onDataBytes(): void {}
    onDataEnd(): void {}
  }

  it('reads the same calls however the bytes arrive', () => {
    let ways = 0;
    for (const { name, chunks } of chunkings(vector)) {
      const c = new Wired();
      const reader = new FrameReader(c);
      for (const chunk of chunks) reader.push(Buffer.from(chunk));
      expect(c.events, name).toEqual(expected);
      ways++;
    }
    expect(ways).toBe(vector.length + 1);
  });
});

describe('connectionErrorOf (re-exported for the connections that dispatch)', () => {
  it('keeps a protocol error as it is, and makes anything else an INTERNAL_ERROR with the failure as its cause', () => {
    const protocol = new FrameError(ErrorCode.FLOW_CONTROL_ERROR, 'x');
    expect(connectionErrorOf(protocol)).toBe(protocol);
    const bug = new TypeError('undefined is not a function');
    const err = connectionErrorOf(bug);
    expect(err).toMatchObject({
      errorCode: ErrorCode.INTERNAL_ERROR,
      message: 'internal error: TypeError: undefined is not a function',
      cause: bug,
      code: 'MUX_ERR_H2_CONNECTION',
    });
    expect(connectionErrorOf('thrown string')).toMatchObject({ errorCode: ErrorCode.INTERNAL_ERROR, message: 'internal error: thrown string' });
  });
});
