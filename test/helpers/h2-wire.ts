/**
 * A raw HTTP/2 peer for abuse and conformance tests: writes hand-built frames on a TCP socket and records
 * every frame it receives. Frames are built and split here, independently of src/h2, so a bug in the
 * stack under test cannot hide itself; header blocks are literals without indexing (or whatever bytes a
 * test wants).
 */
import { connect, type Socket } from 'node:net';

export const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export const T = {
  DATA: 0,
  HEADERS: 1,
  PRIORITY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PUSH_PROMISE: 5,
  PING: 6,
  GOAWAY: 7,
  WINDOW_UPDATE: 8,
  CONTINUATION: 9,
} as const;
export const F = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;
export const E = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  SETTINGS_TIMEOUT: 4,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 0xb,
} as const;

export interface WireFrame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
}

export function frame(type: number, flags: number, streamId: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(streamId & 0x7fffffff, 5);
  out.set(payload, 9);
  return out;
}

export function settings(entries: [number, number][] = [], flags = 0): Buffer {
  const p = Buffer.alloc(6 * entries.length);
  entries.forEach(([id, v], i) => {
    p.writeUInt16BE(id, 6 * i);
    p.writeUInt32BE(v, 6 * i + 2);
  });
  return frame(T.SETTINGS, flags, 0, p);
}

export const SETTINGS_ACK = frame(T.SETTINGS, F.ACK, 0);

export function u32(...values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => {
    b.writeUInt32BE(v >>> 0, 4 * i);
  });
  return b;
}

export function rst(streamId: number, code: number): Buffer {
  return frame(T.RST_STREAM, 0, streamId, u32(code));
}

export function windowUpdate(streamId: number, increment: number): Buffer {
  return frame(T.WINDOW_UPDATE, 0, streamId, u32(increment));
}

export function ping(data = Buffer.alloc(8, 7)): Buffer {
  return frame(T.PING, 0, 0, data);
}

/** §5.1 HPACK integer with an N-bit prefix. */
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

/** A literal field without indexing, new name, raw strings (RFC 7541 §6.2.2). */
export function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0x00, ...hpackInt(0, 7, n.length)]), n, Buffer.from(hpackInt(0, 7, v.length)), v]);
}

/** A literal field *with* incremental indexing, new name (§6.2.1): goes into the peer's dynamic table. */
export function literalIndexed(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'latin1');
  const v = Buffer.from(value, 'latin1');
  return Buffer.concat([Buffer.from([0x40, ...hpackInt(0, 7, n.length)]), n, Buffer.from(hpackInt(0, 7, v.length)), v]);
}

/** An indexed field (§6.1). */
export function indexed(index: number): Buffer {
  return Buffer.from(hpackInt(0x80, 7, index));
}

export function block(fields: [string, string][]): Buffer {
  return Buffer.concat(fields.map(([n, v]) => literal(n, v)));
}

export const GET_FIELDS = (path = '/', authority = 'test'): [string, string][] => [
  [':method', 'GET'],
  [':scheme', 'http'],
  [':path', path],
  [':authority', authority],
];

export function headers(
  streamId: number,
  fields: [string, string][] | Buffer,
  options: { endStream?: boolean; endHeaders?: boolean; priority?: Buffer } = {},
): Buffer {
  const b = Buffer.isBuffer(fields) ? fields : block(fields);
  let flags = ((options.endStream ?? true) ? F.END_STREAM : 0) | ((options.endHeaders ?? true) ? F.END_HEADERS : 0);
  let payload = b;
  if (options.priority) {
    flags |= F.PRIORITY;
    payload = Buffer.concat([options.priority, b]);
  }
  return frame(T.HEADERS, flags, streamId, payload);
}

export interface RawOptions {
  /** send the client preface and SETTINGS first (default true) */
  preface?: boolean;
  /** the entries of that first SETTINGS frame (default none) */
  settings?: [number, number][];
  /** a line to write first and an `OK` line to wait for (the h2 tunnel's hello) */
  hello?: string;
  /** the peer will send the client preface first (we act as the server): skip it */
  expectPreface?: boolean;
  /** ACK every SETTINGS the peer sends (default: when this side sent the preface, or acts as the server) */
  ackSettings?: boolean;
  /** stop reading after this many received bytes are buffered, like a client that does not read */
  noRead?: boolean;
}

export class RawH2 {
  readonly frames: WireFrame[] = [];
  closed = false;
  readonly whenClosed: Promise<void>;
  private buf: Buffer = Buffer.alloc(0);
  private prefaceLeft: number;
  private waiters: (() => void)[] = [];
  private helloPending: boolean;
  private readonly sendsPreface: boolean;

  private constructor(
    readonly socket: Socket,
    private readonly options: RawOptions,
  ) {
    this.prefaceLeft = options.expectPreface ? PREFACE.length : 0;
    this.helloPending = options.hello !== undefined;
    this.sendsPreface = options.preface ?? !options.expectPreface;
    socket.on('error', () => {});
    this.whenClosed = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.notify();
        resolve();
      }),
    );
    if (options.noRead) socket.pause();
    else socket.on('data', (c: Buffer) => this.onData(c));
  }

  static async connect(port: number, options: RawOptions = {}): Promise<RawH2> {
    const socket = connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    const raw = new RawH2(socket, options);
    if (options.hello !== undefined) {
      socket.write(options.hello);
      await raw.until(() => !raw.helloPending, 5000, 'the OK line');
    }
    if (raw.sendsPreface) {
      raw.send(PREFACE, settings(options.settings ?? []));
      // Once the peer's SETTINGS are in (and acknowledged), no ACK of ours can land inside a test's frames.
      if (!options.noRead) await raw.until(() => raw.frames.some((f) => f.type === T.SETTINGS && !(f.flags & F.ACK)), 5000, 'the peer SETTINGS');
    }
    return raw;
  }

  /** Wraps an accepted socket: this side is the server (the client preface is skipped, SETTINGS sent). */
  static accept(socket: Socket, options: RawOptions = {}): RawH2 {
    socket.setNoDelay(true);
    const raw = new RawH2(socket, { expectPreface: true, ...options });
    raw.send(settings());
    return raw;
  }

  send(...frames: Buffer[]): void {
    if (!this.socket.destroyed) this.socket.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  /** Resolves once `pred` holds (checked on every frame received and on close); rejects after `timeoutMs`. */
  until(pred: () => boolean, timeoutMs = 5000, what = 'a condition'): Promise<void> {
    if (pred()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          this.waiters = this.waiters.filter((w) => w !== check);
          resolve();
        }
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${this.describe()}`));
      }, timeoutMs);
      this.waiters.push(check);
    });
  }

  find(type: number, streamId?: number): WireFrame | undefined {
    return this.frames.find((f) => f.type === type && (streamId === undefined || f.streamId === streamId));
  }

  /** The GOAWAY the peer sent: [last stream id, error code]. */
  async goaway(timeoutMs = 5000): Promise<{ lastStreamId: number; code: number }> {
    await this.until(() => this.find(T.GOAWAY) !== undefined, timeoutMs, 'GOAWAY');
    const f = this.find(T.GOAWAY)!;
    return { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) };
  }

  /** The RST_STREAM code the peer sent on `streamId`. */
  async rstCode(streamId: number, timeoutMs = 5000): Promise<number> {
    await this.until(() => this.find(T.RST_STREAM, streamId) !== undefined, timeoutMs, `RST_STREAM on stream ${streamId}`);
    return this.find(T.RST_STREAM, streamId)!.payload.readUInt32BE(0);
  }

  /** The peer's first SETTINGS as a map. */
  async peerSettings(timeoutMs = 5000): Promise<Map<number, number>> {
    await this.until(() => this.frames.some((f) => f.type === T.SETTINGS && !(f.flags & F.ACK)), timeoutMs, 'SETTINGS');
    const f = this.frames.find((x) => x.type === T.SETTINGS && !(x.flags & F.ACK))!;
    const m = new Map<number, number>();
    for (let p = 0; p + 6 <= f.payload.length; p += 6) m.set(f.payload.readUInt16BE(p), f.payload.readUInt32BE(p + 2));
    return m;
  }

  /** `:status` of the response HEADERS on `streamId` (the first header block, decoded loosely). */
  async status(streamId: number, timeoutMs = 5000): Promise<number> {
    await this.until(
      () => this.find(T.HEADERS, streamId) !== undefined || this.find(T.RST_STREAM, streamId) !== undefined,
      timeoutMs,
      `a response on ${streamId}`,
    );
    const h = this.find(T.HEADERS, streamId);
    if (!h) throw new Error(`stream ${streamId} was reset with code ${this.find(T.RST_STREAM, streamId)!.payload.readUInt32BE(0)}`);
    return statusOf(h.payload);
  }

  close(): void {
    this.socket.destroy();
  }

  describe(): string {
    const names = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k]));
    const tail = this.frames.slice(-8).map((f) => `${names[f.type] ?? f.type}(s${f.streamId},f${f.flags},${f.payload.length}B)`);
    return `${this.frames.length} frames [… ${tail.join(' ')}]${this.closed ? ', closed' : ''}`;
  }

  private onData(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    if (this.helloPending) {
      const nl = this.buf.indexOf(0x0a);
      if (nl < 0) return;
      const line = this.buf.subarray(0, nl).toString();
      if (line !== 'OK') throw new Error(`hello refused: ${line}`);
      this.buf = this.buf.subarray(nl + 1);
      this.helloPending = false;
      // as the server on a tunnel connection: our SETTINGS go first, before any ACK of the peer's (§3.4)
      if (this.options.expectPreface) this.send(settings());
    }
    if (this.prefaceLeft > 0) {
      const n = Math.min(this.prefaceLeft, this.buf.length);
      this.prefaceLeft -= n;
      this.buf = this.buf.subarray(n);
    }
    while (this.buf.length >= 9) {
      const len = this.buf.readUIntBE(0, 3);
      if (this.buf.length < 9 + len) break;
      const f: WireFrame = {
        type: this.buf[3]!,
        flags: this.buf[4]!,
        streamId: this.buf.readUInt32BE(5) & 0x7fffffff,
        payload: Buffer.from(this.buf.subarray(9, 9 + len)),
      };
      this.buf = this.buf.subarray(9 + len);
      this.frames.push(f);
      if (f.type === T.SETTINGS && !(f.flags & F.ACK) && (this.options.ackSettings ?? (this.sendsPreface || this.options.expectPreface === true)))
        this.send(SETTINGS_ACK);
    }
    this.notify();
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** `:status` from a response block our stack encodes (indexed static entries 8‥14, or a literal). */
export function statusOf(payload: Buffer): number {
  const b = payload[0]!;
  if (b >= 0x88 && b <= 0x8e) return [200, 204, 206, 304, 400, 404, 500][b - 0x88]!;
  // literal without indexing, static name index 8 (:status): 0x08, length, digits
  if ((b & 0xf0) === 0 && (b & 0x0f) >= 8 && (b & 0x0f) <= 14) return Number(payload.subarray(2, 2 + payload[1]!).toString('latin1'));
  throw new Error(`cannot read :status from ${payload.subarray(0, 8).toString('hex')}`);
}

/** Polls `pred` every 20 ms until it holds or `timeoutMs` passes. */
export async function eventually(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
