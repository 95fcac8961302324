/**
 * The HTTP/2 load engine: h2c with prior knowledge over raw frames, a fixed pool of connections, the same
 * request on every stream. A send that finds no free stream slot waits in a FIFO queue inside the engine
 * (that wait is part of its latency), so a server's MAX_CONCURRENT_STREAMS queues requests instead of
 * refusing them.
 *
 * Error kinds: 'status-NNN', 'wrong-body', 'reset' (RST_STREAM), 'refused' (REFUSED_STREAM), 'goaway'
 * (not processed before a GOAWAY), 'connection' (socket error or close, or the requester closed),
 * 'timeout', 'protocol' (the server broke HTTP/2 or HPACK rules).
 */
import { DEFAULT_MAX_FRAME_SIZE, FRAME_HEADER_BYTES, MAX_WINDOW_BYTES } from '../../h2/frames.ts';
import { encodeHeaderBlock } from '../../h2/hpack.ts';
import { type ConnectionOwner, type Done, H2Connection, type RequestTemplate } from './connection.ts';
import type { Expectation, Requester } from '../types.ts';

export interface H2RequesterOptions {
  /** http://host:port — h2c with prior knowledge (no TLS, no Upgrade) */
  url: string;
  /** TCP connections (default 1) */
  connections?: number;
  /** most streams this engine keeps open per connection (default 100); the server's SETTINGS may lower it */
  streamsPerConnection?: number;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  expect: Expectation;
  /** receive window per stream and per connection (default 16 MiB: the client never throttles the server) */
  windowBytes?: number;
  /** per request, from send() (default 30 s) */
  timeoutMs?: number;
}

export const DEFAULT_WINDOW_BYTES = 16 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_STREAMS_PER_CONNECTION = 100;

export function h2Requester(options: H2RequesterOptions): Requester {
  return new H2Pool(options);
}

/** Header names HTTP/2 forbids (RFC 9113 §8.2.2) or that the engine sets itself. */
const RESERVED_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

function buildTemplate(options: H2RequesterOptions): RequestTemplate {
  const url = new URL(options.url);
  if (url.protocol !== 'http:') throw new RangeError(`h2 engine: ${options.url}: only http:// (h2c prior knowledge) is supported`);
  const port = url.port === '' ? 80 : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.from(options.body.buffer, options.body.byteOffset, options.body.byteLength);
  const fields: [string, string][] = [
    [':method', options.method.toUpperCase()],
    [':scheme', 'http'],
    [':path', options.path],
    [':authority', url.host],
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    const lower = name.toLowerCase();
    if (lower.startsWith(':') || RESERVED_HEADERS.has(lower)) {
      throw new RangeError(`h2 engine: header '${name}' cannot be set (pseudo-header, connection-specific, or set by the engine)`);
    }
    fields.push([lower, value]);
  }
  if (body.length > 0 && !fields.some(([n]) => n === 'content-length')) fields.push(['content-length', String(body.length)]);
  const connections = options.connections ?? 1;
  const maxStreams = options.streamsPerConnection ?? DEFAULT_STREAMS_PER_CONNECTION;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  if (!(Number.isInteger(connections) && connections >= 1)) throw new RangeError(`h2 engine: connections must be an integer ≥ 1, got ${connections}`);
  if (!(Number.isInteger(maxStreams) && maxStreams >= 1)) throw new RangeError(`h2 engine: streamsPerConnection must be an integer ≥ 1, got ${maxStreams}`);
  if (!(Number.isInteger(windowBytes) && windowBytes >= 1 && windowBytes <= MAX_WINDOW_BYTES)) {
    throw new RangeError(`h2 engine: windowBytes must be an integer from 1 to ${MAX_WINDOW_BYTES} (RFC 9113 §6.9.1), got ${windowBytes}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new RangeError(`h2 engine: timeoutMs must be > 0, got ${timeoutMs}`);
  return {
    host,
    port,
    headerBlock: encodeHeaderBlock(fields),
    firstHeaderBlock: encodeHeaderBlock(fields, true),
    body,
    expect: options.expect,
    windowBytes,
    maxStreams,
  };
}

class H2Pool implements Requester, ConnectionOwner {
  readonly bytesOutPerRequest: number;
  private readonly tpl: RequestTemplate;
  /** one slot per configured connection; null until needed (lazy) or after one retired */
  private readonly conns: (H2Connection | null)[];
  /** retired connections still finishing their streams */
  private readonly draining = new Set<H2Connection>();
  private rr = 0;
  private closed = false;

  // FIFO of sends waiting for a stream slot, as parallel arrays (no object per waiting send)
  private queueDone: Done[] = [];
  private queueAt: number[] = [];
  private queueHead = 0;

  private readonly sweeper: NodeJS.Timeout;
  /**
   * A coarse clock: sweeps so far. Sends are stamped with it instead of performance.now(), which would cost
   * more than the rest of send(); a request times out after `timeoutTicks` full sweep periods, so between
   * timeoutMs and timeoutMs + one period (never early — a late timer only makes it later).
   */
  private ticks = 0;
  private readonly timeoutTicks: number;

  constructor(options: H2RequesterOptions) {
    this.tpl = buildTemplate(options);
    this.conns = new Array<H2Connection | null>(options.connections ?? 1).fill(null);
    const bodyLength = this.tpl.body.length;
    // What one request puts on the wire (assuming the default frame size for the body).
    this.bytesOutPerRequest =
      FRAME_HEADER_BYTES + this.tpl.headerBlock.length + bodyLength + FRAME_HEADER_BYTES * Math.ceil(bodyLength / DEFAULT_MAX_FRAME_SIZE);
    // Timeouts are swept, not timed one by one: a timer per request would cost more than the request.
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const sweepMs = Math.max(5, Math.min(1000, Math.floor(timeoutMs / 10)));
    this.timeoutTicks = Math.ceil(timeoutMs / sweepMs);
    this.sweeper = setInterval(() => this.sweep(), sweepMs);
    this.sweeper.unref();
  }

  send(done: Done): void {
    if (this.closed) {
      process.nextTick(done, 'connection', 0);
      return;
    }
    const now = this.ticks;
    if (this.queueHead === this.queueDone.length) {
      const conn = this.pick();
      if (conn !== null) {
        conn.open(done, now);
        return;
      }
    }
    this.queueDone.push(done);
    this.queueAt.push(now);
    this.ensureConnections();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweeper);
    const waits: Promise<void>[] = [];
    for (const c of [...this.conns, ...this.draining]) if (c !== null) waits.push(c.shutdown('connection'));
    this.conns.fill(null);
    this.draining.clear();
    this.failQueue('connection');
    await Promise.all(waits);
  }

  // ---- ConnectionOwner --------------------------------------------------------------------------------

  slotsFreed(conn: H2Connection): void {
    while (this.queueHead < this.queueDone.length && conn.capacity() > 0) {
      const done = this.queueDone[this.queueHead]!;
      const at = this.queueAt[this.queueHead]!;
      this.queueHead++;
      conn.open(done, at);
    }
    this.compactQueue();
  }

  retired(conn: H2Connection, everReady: boolean): void {
    const slot = this.conns.indexOf(conn);
    if (slot >= 0) this.conns[slot] = null;
    if (this.closed) return;
    this.draining.add(conn);
    void conn.closed.then(() => this.draining.delete(conn));
    if (this.queueHead === this.queueDone.length) return; // the next send reconnects
    if (!everReady && !this.conns.some((c) => c !== null && c.capacity() > 0)) {
      // The server could not be reached: the waiting sends fail rather than wait for a timeout.
      this.failQueue('connection');
      return;
    }
    this.ensureConnections();
  }

  // ---- internals --------------------------------------------------------------------------------------

  /** A ready connection with a free slot, round-robin so load spreads over all of them. */
  private pick(): H2Connection | null {
    const n = this.conns.length;
    for (let i = 0; i < n; i++) {
      const c = this.conns[(this.rr + i) % n];
      if (c != null && c.capacity() > 0) {
        this.rr = (this.rr + i + 1) % n;
        return c;
      }
    }
    return null;
  }

  private ensureConnections(): void {
    if (this.closed) return;
    for (let i = 0; i < this.conns.length; i++) {
      if (this.conns[i] === null) this.conns[i] = new H2Connection(this, this.tpl);
    }
  }

  private failQueue(kind: string): void {
    const dones = this.queueDone.slice(this.queueHead);
    this.queueDone = [];
    this.queueAt = [];
    this.queueHead = 0;
    for (const done of dones) done(kind, 0);
  }

  private compactQueue(): void {
    if (this.queueHead === this.queueDone.length) {
      if (this.queueHead > 0) {
        this.queueDone = [];
        this.queueAt = [];
        this.queueHead = 0;
      }
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queueDone.length) {
      this.queueDone = this.queueDone.slice(this.queueHead);
      this.queueAt = this.queueAt.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private sweep(): void {
    this.ticks++;
    // stamped at tick t (somewhere in period t), timed out once timeoutTicks whole periods have passed
    const cutoff = this.ticks - this.timeoutTicks - 1;
    const expired: Done[] = [];
    while (this.queueHead < this.queueDone.length && this.queueAt[this.queueHead]! <= cutoff) {
      expired.push(this.queueDone[this.queueHead]!);
      this.queueHead++;
    }
    this.compactQueue();
    for (const done of expired) done('timeout', 0);
    for (const c of this.conns) c?.expire(cutoff);
    for (const c of this.draining) c.expire(cutoff);
  }
}
