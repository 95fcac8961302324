/**
 * Fuzz targets for the HTTP/2 stack, shared by the property tests (test/h2/fuzz.test.ts) and the long run
 * (bench/fuzz-h2.ts): each is a fast-check arbitrary and a `run` that throws when the stack misbehaves —
 * a decoder throwing anything but the stack's protocol errors, the frame reader reading differently when
 * the same bytes are cut differently, a session ending with INTERNAL_ERROR (a bug) instead of the
 * connection error the input calls for.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import fc from 'fast-check';
import { ErrorCode, FrameError } from '../../src/h2/errors.ts';
import { type FrameHandler, FrameReader } from '../../src/h2/frames.ts';
import { HpackDecoder } from '../../src/h2/hpack.ts';
import { huffmanDecode } from '../../src/h2/huffman.ts';
import { H2Session, type H2Stream, type HeaderFields } from '../../src/h2/session.ts';

/** The stack's own protocol errors (HpackError and HuffmanError are FrameErrors with COMPRESSION_ERROR). */
export function isProtocolError(err: unknown): boolean {
  return err instanceof FrameError && err.errorCode !== ErrorCode.INTERNAL_ERROR;
}

export interface FuzzTarget<T = unknown> {
  name: string;
  arbitrary: fc.Arbitrary<T>;
  /** throws when the stack misbehaves on `input` */
  run(input: T): void;
}

// ---- byte cutting -----------------------------------------------------------------------------------

export function cut(bytes: Uint8Array, points: readonly number[]): Buffer[] {
  const sorted = [...new Set(points)].filter((p) => p > 0 && p < bytes.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let at = 0;
  for (const p of sorted) {
    out.push(Buffer.from(bytes.subarray(at, p)));
    at = p;
  }
  out.push(Buffer.from(bytes.subarray(at)));
  return out;
}

/**
 * fast-check keeps generated collections small by default (about ten elements); a fuzzer wants the whole
 * range up to each maxLength, so byte strings and frame lists say so.
 */
const FULL = { size: 'max' } as const;

const cuts = fc.array(fc.integer({ min: 1, max: 2000 }), { maxLength: 12, ...FULL });

// ---- the frame reader -------------------------------------------------------------------------------

class Log implements FrameHandler {
  events: string[] = [];
  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    this.events.push(`f${type}/${flags}/${streamId}/${buf.toString('hex', start, end)}`);
  }
  onDataStart(streamId: number, frameBytes: number, endStream: boolean): void {
    this.events.push(`d${streamId}/${frameBytes}/${endStream}`);
  }
  onDataBytes(buf: Buffer, start: number, end: number): void {
    const data = `b${buf.toString('hex', start, end)}`;
    const last = this.events.length - 1;
    // DATA bytes arrive in whatever pieces the reads give: keep them joined
    if (this.events[last]?.startsWith('b')) this.events[last] += data.slice(1);
    else this.events.push(data);
  }
  onDataEnd(endStream: boolean): void {
    this.events.push(`e${endStream}`);
  }
}

/** What the reader reported for these chunks: its events, then the protocol error it threw, if any. */
export function readFrames(chunks: Buffer[], settingsFirst = false): string {
  const log = new Log();
  const reader = new FrameReader(log, undefined, settingsFirst);
  let error = '';
  try {
    for (const c of chunks) reader.push(c);
  } catch (err) {
    if (!isProtocolError(err)) throw err;
    error = ` !${(err as FrameError).errorCode}`;
  }
  return log.events.filter((e) => e !== 'b').join(' ') + error;
}

export interface WireFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Uint8Array;
}

export function encodeFrame(f: WireFrame): Buffer {
  const out = Buffer.alloc(9 + f.payload.length);
  out.writeUIntBE(f.payload.length, 0, 3);
  out[3] = f.type;
  out[4] = f.flags;
  out.writeUInt32BE(f.streamId >>> 0, 5);
  out.set(f.payload, 9);
  return out;
}

// ---- HPACK ------------------------------------------------------------------------------------------

function hpackInt(first: number, prefixBits: number, value: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function literal(name: string, value: string, kind = 0x00): number[] {
  const n = [...Buffer.from(name, 'latin1')];
  const v = [...Buffer.from(value, 'latin1')];
  return [kind, ...hpackInt(0, 7, n.length), ...n, ...hpackInt(0, 7, v.length), ...v];
}

/** One HPACK representation: indexed, literal (three kinds), size update, long integers, raw bytes. */
export const hpackPiece: fc.Arbitrary<number[]> = fc.oneof(
  fc.integer({ min: 0, max: 127 }).map((i) => [0x80 | i]),
  fc
    .tuple(fc.constantFrom(0x40, 0x00, 0x10), fc.integer({ min: 0, max: 70 }), fc.boolean(), fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }))
    .map(([kind, idx, huff, n, v]) => [
      ...hpackInt(kind, kind === 0x40 ? 6 : 4, idx),
      ...(idx === 0 ? [...hpackInt(huff ? 0x80 : 0, 7, n.length), ...n] : []),
      ...hpackInt(huff ? 0x80 : 0, 7, v.length),
      ...v,
    ]),
  fc.integer({ min: 0, max: 5000 }).map((n) => hpackInt(0x20, 5, n)),
  // an integer with many continuation octets (the NaN crash), after each kind of prefix
  // (zero-valued continuation octets keep the value small until 2 ** shift overflows to Infinity)
  fc
    .tuple(
      fc.constantFrom(0xff, 0x7f, 0x3f, 0x1f, 0x0f, 0x00),
      fc.integer({ min: 0, max: 200 }),
      fc.array(fc.integer({ min: 0x80, max: 0xff }), { maxLength: 3 }),
      fc.integer({ min: 0, max: 0x7f }),
    )
    .map(([prefix, zeros, cont, last]) => [...(prefix === 0x00 ? [0x00, 0xff] : [prefix]), ...Array<number>(zeros).fill(0x80), ...cont, last, 0x61, 0x61]),
  fc.constantFrom(...REQUEST_FIELDS()).map(([n, v]) => literal(n, v)),
  fc.uint8Array({ maxLength: 8 }).map((b) => [...b]),
);

function REQUEST_FIELDS(): [string, string][] {
  return [
    [':method', 'GET'],
    [':method', 'POST'],
    [':method', 'CONNECT'],
    [':scheme', 'http'],
    [':path', '/x'],
    [':authority', 'a'],
    [':protocol', 'websocket'],
    [':status', '200'],
    ['content-length', '3'],
    ['te', 'trailers'],
    ['connection', 'close'],
    ['X-Upper', '1'],
    ['x-a', ' b'],
  ];
}

/** A request head our session accepts (literals, so no table state is involved). */
const GOOD_HEAD = Uint8Array.from([...literal(':method', 'POST'), ...literal(':scheme', 'http'), ...literal(':path', '/p'), ...literal(':authority', 'a')]);
const GOOD_RESPONSE = Uint8Array.from([0x88]); // :status 200

// ---- a whole session over an in-memory socket ---------------------------------------------------------

/** Just enough of net.Socket for a session: writes are counted and dropped, nothing is asynchronous. */
class MemorySocket extends EventEmitter {
  destroyed = false;
  writableEnded = false;
  writableNeedDrain = false;
  written = 0;
  setNoDelay(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  cork(): void {}
  uncork(): void {}
  write(b: Uint8Array): boolean {
    this.written += b.length;
    return true;
  }
  end(): this {
    this.writableEnded = true;
    return this;
  }
  destroySoon(): void {
    this.writableEnded = true;
    this.destroyed = true;
  }
  destroy(): this {
    this.destroyed = true;
    return this;
  }
}

const frameArb: fc.Arbitrary<WireFrame> = fc.oneof(
  // HEADERS / CONTINUATION with a good head, a fuzzed block, or a response
  fc
    .tuple(
      fc.constantFrom(0x1, 0x9),
      fc.constantFrom(0x0, 0x1, 0x4, 0x5, 0x8, 0x20, 0x24, 0x25, 0x2d),
      fc.constantFrom(0, 1, 2, 3, 5, 7, 9),
      fc.oneof(
        fc.constant(GOOD_HEAD),
        fc.constant(GOOD_RESPONSE),
        fc.array(hpackPiece, { maxLength: 8 }).map((p) => Uint8Array.from(p.flat())),
      ),
      fc.uint8Array({ minLength: 0, maxLength: 6 }),
    )
    .map(([type, flags, streamId, block, pre]) => ({ type, flags, streamId, payload: (flags & 0x28) !== 0 ? Uint8Array.from([...pre, ...block]) : block })),
  // DATA
  fc
    .tuple(fc.constantFrom(0x0, 0x1, 0x8, 0x9), fc.constantFrom(0, 1, 3, 5, 7), fc.uint8Array({ maxLength: 40 }))
    .map(([flags, streamId, payload]) => ({ type: 0, flags, streamId, payload })),
  // SETTINGS (known ids, odd values), PING, RST_STREAM, WINDOW_UPDATE, PRIORITY, GOAWAY
  fc
    .tuple(
      fc.constantFrom(0, 1),
      fc.array(
        fc.tuple(
          fc.integer({ min: 0, max: 9 }),
          fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom(65_535, 65_536, 2 ** 31 - 1, 2 ** 31, 16_384, 2 ** 24), fc.nat()),
        ),
        { maxLength: 4 },
      ),
    )
    .map(([flags, entries]) => {
      const p = Buffer.alloc(6 * entries.length);
      entries.forEach(([id, v], i) => {
        p.writeUInt16BE(id, 6 * i);
        p.writeUInt32BE(v >>> 0, 6 * i + 2);
      });
      return { type: 4, flags, streamId: 0, payload: p };
    }),
  fc
    .tuple(fc.constantFrom(0x2, 0x3, 0x6, 0x7, 0x8), fc.constantFrom(0, 1), fc.constantFrom(0, 1, 2, 3, 5, 99), fc.uint8Array({ minLength: 0, maxLength: 9 }))
    .map(([type, flags, streamId, payload]) => ({ type, flags, streamId, payload })),
  fc.tuple(fc.constantFrom(0, 1, 3, 5), fc.constantFrom(1, 100, 65_535, 2 ** 31 - 1)).map(([streamId, inc]) => ({
    type: 8,
    flags: 0,
    streamId,
    payload: Uint8Array.from([(inc >>> 24) & 0x7f, (inc >>> 16) & 0xff, (inc >>> 8) & 0xff, inc & 0xff]),
  })),
  // anything at all
  fc.record({
    type: fc.integer({ min: 0, max: 255 }),
    flags: fc.integer({ min: 0, max: 255 }),
    streamId: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    payload: fc.uint8Array({ maxLength: 30 }),
  }),
);

/**
 * What a peer does, mostly by the rules so that streams open and the deep paths run, with a malformed or
 * arbitrary frame mixed in: `which` picks one of the streams used so far.
 */
type Op =
  | { op: 'open'; end: boolean; split: number; extra: number[] }
  | { op: 'data'; which: number; bytes: Uint8Array; end: boolean; pad: number }
  | { op: 'trailers'; which: number; extra: number[] }
  | { op: 'rst'; which: number; code: number }
  | { op: 'window'; which: number; increment: number }
  | { op: 'ping' }
  | { op: 'settings'; entries: [number, number][] }
  | { op: 'priority'; which: number; dependsOn: number }
  | { op: 'raw'; frame: WireFrame };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('open' as const),
      end: fc.boolean(),
      split: fc.integer({ min: 0, max: 12 }),
      extra: fc.oneof({ weight: 6, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: hpackPiece }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('data' as const),
      which: fc.nat(8),
      bytes: fc.uint8Array({ maxLength: 60 }),
      end: fc.boolean(),
      pad: fc.integer({ min: -1, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('trailers' as const), which: fc.nat(8), extra: fc.oneof(fc.constant<number[]>([]), hpackPiece) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('rst' as const), which: fc.nat(8), code: fc.integer({ min: 0, max: 13 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('window' as const),
      which: fc.nat(8),
      increment: fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constant(2 ** 31 - 1)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ping' as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant('settings' as const),
      entries: fc.array(
        fc.tuple(
          fc.constantFrom(1, 2, 3, 4, 5, 6, 8, 9),
          fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constantFrom(0, 10, 16_384, 65_535, 65_536, 1 << 20, 2 ** 31 - 1)),
        ),
        { maxLength: 3 },
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('priority' as const), which: fc.nat(8), dependsOn: fc.nat(8) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('raw' as const), frame: frameArb }) },
);

function u32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

/** The frames a peer doing `ops` sends. The server role sees requests; the client role responses. */
export function framesOf(server: boolean, ops: readonly Op[]): WireFrame[] {
  const used: number[] = server ? [] : [1, 3, 5]; // the client under test opened these
  let next = 1;
  let answered = 0;
  const pick = (which: number): number => used[which % used.length]!;
  const out: WireFrame[] = [];
  for (const o of ops) {
    if (used.length === 0 && o.op !== 'open' && o.op !== 'ping' && o.op !== 'settings' && o.op !== 'raw') continue; // no stream yet
    switch (o.op) {
      case 'open': {
        let id: number;
        let head: Uint8Array;
        if (server) {
          id = next;
          next += 2;
          used.push(id);
          head = Uint8Array.from([...GOOD_HEAD, ...o.extra]);
        } else {
          id = used[answered++ % used.length]!;
          head = Uint8Array.from([...GOOD_RESPONSE, ...o.extra]);
        }
        const flags = o.end ? 0x1 : 0;
        if (o.split === 0 || head.length < 2) {
          out.push({ type: 1, flags: flags | 0x4, streamId: id, payload: head });
        } else {
          const at = 1 + (o.split % (head.length - 1));
          out.push({ type: 1, flags, streamId: id, payload: head.subarray(0, at) });
          out.push({ type: 9, flags: 0x4, streamId: id, payload: head.subarray(at) });
        }
        break;
      }
      case 'data': {
        const payload = o.pad >= 0 ? Uint8Array.from([o.pad, ...o.bytes, ...new Array<number>(o.pad).fill(0)]) : o.bytes;
        out.push({ type: 0, flags: (o.end ? 0x1 : 0) | (o.pad >= 0 ? 0x8 : 0), streamId: pick(o.which), payload });
        break;
      }
      case 'trailers':
        out.push({ type: 1, flags: 0x5, streamId: pick(o.which), payload: Uint8Array.from([...literal('x-t', '1'), ...o.extra]) });
        break;
      case 'rst':
        out.push({ type: 3, flags: 0, streamId: pick(o.which), payload: Uint8Array.from(u32(o.code)) });
        break;
      case 'window':
        out.push({ type: 8, flags: 0, streamId: o.which === 0 ? 0 : pick(o.which), payload: Uint8Array.from(u32(o.increment)) });
        break;
      case 'ping':
        out.push({ type: 6, flags: 0, streamId: 0, payload: new Uint8Array(8) });
        break;
      case 'settings':
        out.push({ type: 4, flags: 0, streamId: 0, payload: Uint8Array.from(o.entries.flatMap(([id, v]) => [id >> 8, id & 0xff, ...u32(v)])) });
        break;
      case 'priority': {
        const id = pick(o.which);
        out.push({ type: 2, flags: 0, streamId: id, payload: Uint8Array.from([...u32(pick(o.dependsOn)), 16]) });
        break;
      }
      case 'raw':
        out.push(o.frame);
        break;
    }
  }
  return out;
}

export interface SessionInput {
  server: boolean;
  ops: Op[];
  cuts: number[];
}

/** Feeds one input to a fresh session; throws if it ends with INTERNAL_ERROR or anything escapes. */
export function runSession(input: SessionInput): void {
  const socket = new MemorySocket();
  let reason: Error | null = null;
  const session = new H2Session(socket as unknown as Socket, {
    role: input.server ? 'server' : 'client',
    maxConcurrentStreams: 5,
    maxHeaderListBytes: 4096,
    streamStallTimeoutMs: 1000,
    onStream: (s: H2Stream, h: HeaderFields) => {
      s.on('error', () => {});
      s.on('trailers', () => {});
      s.resume();
      if (h[':path'] === '/p') {
        s.respond(200, { 'x-a': 'b' });
        s.end(Buffer.alloc(100, 1));
      }
    },
    onClose: (r) => (reason = r),
  });
  if (!input.server) {
    for (let i = 0; i < 3; i++) {
      const s = session.request(
        [
          [':method', 'GET'],
          [':scheme', 'http'],
          [':path', '/'],
          [':authority', 'a'],
        ],
        {},
        { endStream: i !== 1 },
      );
      s.on('error', () => {});
      s.on('response', () => {});
      s.resume();
    }
  }
  try {
    const preface = input.server ? [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')] : [];
    const frames = framesOf(input.server, input.ops);
    const bytes = Buffer.concat([...preface, encodeFrame({ type: 4, flags: 0, streamId: 0, payload: new Uint8Array(0) }), ...frames.map(encodeFrame)]);
    for (const chunk of cut(bytes, input.cuts)) socket.emit('data', chunk);
  } finally {
    session.destroy();
  }
  const r = reason as Error | null;
  if (r instanceof FrameError && r.errorCode === ErrorCode.INTERNAL_ERROR) throw r.cause instanceof Error ? r.cause : r;
}

// ---- the targets ------------------------------------------------------------------------------------

/** Keeps each target's input type while listing them together. */
function target<T>(t: FuzzTarget<T>): FuzzTarget<unknown> {
  return t as unknown as FuzzTarget<unknown>;
}

export const fuzzTargets: FuzzTarget<unknown>[] = [
  target({
    name: 'frame reader: random bytes, random cuts',
    arbitrary: fc.tuple(fc.uint8Array({ maxLength: 600, ...FULL }), cuts),
    run: ([bytes, points]: [Uint8Array, number[]]) => {
      const whole = readFrames([Buffer.from(bytes)], true);
      const pieces = readFrames(cut(bytes, points), true);
      if (pieces !== whole) throw new Error(`read differently when cut at ${points.join(',')}:\n  whole: ${whole}\n  cut:   ${pieces}`);
    },
  }),
  target({
    name: 'frame reader: well-formed headers, random payloads, random cuts',
    arbitrary: fc.tuple(fc.array(frameArb, { maxLength: 12, ...FULL }), cuts),
    run: ([frames, points]: [WireFrame[], number[]]) => {
      const bytes = Buffer.concat(frames.map(encodeFrame));
      const whole = readFrames([bytes]);
      const pieces = readFrames(cut(bytes, points));
      if (pieces !== whole) throw new Error(`read differently when cut at ${points.join(',')}`);
    },
  }),
  target({
    name: 'HPACK decoder: random blocks sharing one table',
    arbitrary: fc.tuple(fc.array(fc.uint8Array({ maxLength: 300, ...FULL }), { minLength: 1, maxLength: 5 }), fc.boolean()),
    run: ([blocks, withSink]: [Uint8Array[], boolean]) => {
      const d = new HpackDecoder(4096, 8192);
      for (const b of blocks) {
        try {
          d.decode(b, 0, b.length, withSink ? () => {} : null);
        } catch (err) {
          if (!isProtocolError(err)) throw err;
        }
      }
    },
  }),
  target({
    name: 'HPACK decoder: blocks of HPACK representations',
    arbitrary: fc.array(fc.array(hpackPiece, { maxLength: 20, ...FULL }), { minLength: 1, maxLength: 3 }),
    run: (blocks: number[][][]) => {
      const d = new HpackDecoder(4096, 4096);
      for (const pieces of blocks) {
        const b = Uint8Array.from(pieces.flat());
        try {
          d.decode(b, 0, b.length, () => {});
        } catch (err) {
          if (!isProtocolError(err)) throw err;
        }
      }
    },
  }),
  target({
    name: 'Huffman decoder: random bytes',
    arbitrary: fc.uint8Array({ maxLength: 200, ...FULL }),
    run: (b: Uint8Array) => {
      try {
        huffmanDecode(b, 0, b.length);
      } catch (err) {
        if (!isProtocolError(err)) throw err;
      }
    },
  }),
  target({
    name: 'session: frames after a valid preface, either role, random cuts',
    arbitrary: fc.record({ server: fc.boolean(), ops: fc.array(opArb, { maxLength: 24, ...FULL }), cuts }),
    run: runSession,
  }),
];
