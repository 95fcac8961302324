/**
 * One attacking connection: a raw h2c (prior knowledge) client socket that writes whatever a pattern
 * builds, within the pattern's budget, and records everything the target answers — GOAWAY, RST_STREAM,
 * response statuses, PING and SETTINGS acknowledgements, DATA, and whether and when the target closed the
 * connection. Frames are read with the stack's own FrameReader, header blocks assembled by its
 * HeaderBlockReader and decoded by its HpackDecoder, so the peer's view of the answers is exact.
 *
 * A peer never throws on what the target does: a refused connection, a reset, a target that breaks the
 * protocol — all of that is recorded as an observation.
 */
import { connect, type Socket } from 'node:net';
import { CLIENT_PREFACE, Flag, FrameError, type FrameHandler, FrameReader, FrameType, Setting, SETTINGS_ACK, settingsFrame } from '../h2/frames.ts';
import { HpackDecoder, HpackError } from '../h2/hpack.ts';
import { HeaderBlockReader } from '../h2/inbound.ts';
import { type Budget, sleep } from './budget.ts';
import { errorCodeName } from './error-codes.ts';
import { frame } from './frames.ts';

export interface PeerTarget {
  host: string;
  port: number;
  /** :authority of the requests patterns send */
  authority: string;
}

/** The target's SETTINGS (§6.5.2 defaults for what it did not send). */
export interface TargetSettings {
  headerTableSize: number;
  maxConcurrentStreams: number | null;
  initialWindowSize: number;
  maxFrameSize: number;
  maxHeaderListSize: number | null;
}

export interface GoawaySeen {
  code: string;
  lastStreamId: number;
  /** the debug data as text, cut short */
  debug: string;
  atMs: number;
}

export interface PeerOptions {
  /** write the preface and our SETTINGS (slowloris writes its own bytes) */
  preface?: boolean;
  /** our SETTINGS entries */
  settings?: readonly (readonly [number, number])[];
  /** wait for the target's SETTINGS (and acknowledge them) before the pattern starts */
  handshake?: boolean;
  /** give up connecting / waiting for SETTINGS after this long */
  connectTimeoutMs?: number;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 3000;
/** Attack bytes are handed to the socket in chunks of about this size, so backpressure is noticed early. */
const WRITE_CHUNK_BYTES = 64 * 1024;
const DEBUG_TEXT_CHARS = 120;
/** The first few GOAWAYs are kept whole; more only counted. */
const MAX_GOAWAYS_KEPT = 4;

/** Why a write loop ended: all units written, out of time or bytes, the connection gone, or the target said GOAWAY. */
export type WriteStop = 'done' | 'deadline' | 'byte-budget' | 'closed' | 'goaway';

export interface WriteOutcome {
  /** units (a frame, or a pattern's group of frames) handed to the socket */
  units: number;
  stoppedBy: WriteStop;
}

export class AttackPeer implements FrameHandler {
  readonly socket: Socket;
  /** performance.now() when the peer was created: times below are relative to the pattern's start */
  private readonly origin: number;
  private readonly reader = new FrameReader(this);
  private readonly decoder = new HpackDecoder();
  private readonly blocks = new HeaderBlockReader((_id, _end, buf, start, end) => this.onHeaderBlock(buf, start, end));

  connected = false;
  connectError: string | null = null;
  settings: TargetSettings = { headerTableSize: 4096, maxConcurrentStreams: null, initialWindowSize: 65_535, maxFrameSize: 16_384, maxHeaderListSize: null };
  settingsReceived = false;

  // what the target answered
  readonly goaways: GoawaySeen[] = [];
  goawayCount = 0;
  readonly rstCodes: Record<string, number> = {};
  readonly statuses: Record<string, number> = {};
  pingAcks = 0;
  settingsAcks = 0;
  dataBytes = 0;
  dataFrames = 0;
  framesIn = 0;
  /** the target broke HTTP/2 or HPACK in what it sent us */
  targetProtocolError: string | null = null;
  /** the target ended the connection (FIN or reset), not us */
  closedByTarget = false;
  closedAtMs: number | null = null;
  private destroyedByUs = false;
  /** Answer the target's SETTINGS and PINGs — only once our own preface is out (slowloris sends its bytes by hand). */
  private replies = true;
  private readonly closedPromise: Promise<void>;

  private constructor(target: PeerTarget, startedAt: number) {
    this.origin = startedAt;
    this.socket = connect({ host: target.host, port: target.port, noDelay: true });
    this.closedPromise = new Promise((resolve) => this.socket.once('close', () => resolve()));
    this.socket.on('connect', () => (this.connected = true));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!this.connected && this.connectError === null) this.connectError = err.code ?? err.message;
    });
    this.socket.on('end', () => this.markClosedByTarget());
    this.socket.on('close', () => {
      if (this.connected) this.markClosedByTarget();
    });
  }

  /** Connects (and handshakes when asked). Never rejects: a failure is in `connectError`. */
  static async open(target: PeerTarget, startedAt: number, options: PeerOptions = {}): Promise<AttackPeer> {
    const peer = new AttackPeer(target, startedAt);
    peer.replies = options.preface !== false;
    const timeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = performance.now() + timeoutMs;
    if (options.preface !== false) {
      peer.socket.write(CLIENT_PREFACE);
      peer.socket.write(settingsFrame(options.settings ?? [[Setting.ENABLE_PUSH, 0]]));
    }
    await Promise.race([
      new Promise<void>((resolve) => {
        peer.socket.once('connect', () => resolve());
        peer.socket.once('close', () => resolve());
      }),
      sleep(timeoutMs),
    ]);
    if (!peer.connected) {
      peer.connectError ??= `no connection within ${timeoutMs} ms`;
      peer.socket.destroy();
      return peer;
    }
    if (options.handshake) {
      while (!peer.settingsReceived && !peer.socket.destroyed && performance.now() < deadline) await sleep(2);
      if (!peer.settingsReceived) peer.connectError = peer.socket.destroyed ? 'closed before its SETTINGS' : `no SETTINGS within ${timeoutMs} ms`;
    }
    return peer;
  }

  get usable(): boolean {
    return this.connectError === null && !this.socket.destroyed && !this.socket.writableEnded;
  }

  get bytesWritten(): number {
    return this.socket.bytesWritten;
  }

  /** Stops reading: replies the target queues for us pile up on its side (the 2019 flood patterns). */
  pauseReading(): void {
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Writes `count` units (`make(i)` builds unit i), chunked, honouring backpressure, the deadline and the byte allowance. */
  async writeUnits(count: number, make: (i: number) => Buffer | readonly Buffer[], budget: Budget): Promise<WriteOutcome> {
    let units = 0;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    let chunkUnits = 0;
    const flush = async (): Promise<WriteStop | null> => {
      if (chunkBytes === 0) return null;
      if (!this.usable) return 'closed';
      const ok = this.socket.write(chunk.length === 1 ? chunk[0]! : Buffer.concat(chunk, chunkBytes));
      units += chunkUnits;
      chunk = [];
      chunkBytes = 0;
      chunkUnits = 0;
      if (!ok) {
        const stop = await this.drained(budget);
        if (stop !== null) return stop;
      } else if (!this.socket.isPaused()) {
        // Let the socket's reads run between chunks: an answer (GOAWAY) must be read before the target's
        // close turns our next write into a reset that discards it.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (this.goawayCount > 0) return 'goaway';
      return null;
    };
    for (let i = 0; i < count; i++) {
      if (budget.expired) {
        await flush();
        return { units, stoppedBy: 'deadline' };
      }
      if (!this.usable) return { units, stoppedBy: 'closed' };
      if (this.goawayCount > 0) return { units, stoppedBy: 'goaway' };
      const made = make(i);
      const parts = Buffer.isBuffer(made) ? [made] : (made as readonly Buffer[]);
      let size = 0;
      for (const p of parts) size += p.length;
      if (!budget.take(size)) {
        const stop = await flush();
        return { units, stoppedBy: stop ?? 'byte-budget' };
      }
      chunk.push(...parts);
      chunkBytes += size;
      chunkUnits++;
      if (chunkBytes >= WRITE_CHUNK_BYTES) {
        const stop = await flush();
        if (stop !== null) return { units, stoppedBy: stop };
      }
    }
    const stop = await flush();
    return { units, stoppedBy: stop ?? 'done' };
  }

  /** Writes raw bytes now (within the allowance); false when they did not fit or the socket is gone. */
  writeRaw(bytes: Buffer, budget: Budget): boolean {
    if (!this.usable || !budget.take(bytes.length)) return false;
    this.socket.write(bytes);
    return true;
  }

  /** Resolves when the target closed the connection, or after `ms`. */
  async closedWithin(ms: number): Promise<boolean> {
    await Promise.race([this.closedPromise, sleep(ms)]);
    return this.socket.destroyed;
  }

  /** Ends the connection from our side (a reset, not a polite close: an attacker does not say goodbye). */
  destroy(): void {
    if (!this.socket.destroyed) {
      this.destroyedByUs = true;
      this.socket.resetAndDestroy();
    }
  }

  // ---- reading --------------------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.targetProtocolError !== null) return;
    try {
      this.reader.push(chunk);
    } catch (err) {
      if (!(err instanceof FrameError || err instanceof HpackError)) throw err;
      this.targetProtocolError = err.message;
      this.reader.halt();
    }
  }

  onFrame(type: number, flags: number, streamId: number, buf: Buffer, start: number, end: number): void {
    this.framesIn++;
    this.blocks.check(type, streamId);
    switch (type) {
      case FrameType.HEADERS:
        return this.blocks.headers(flags, streamId, buf, start, end);
      case FrameType.CONTINUATION:
        return this.blocks.continuation(flags, streamId, buf, start, end);
      case FrameType.SETTINGS:
        if (flags & Flag.ACK) {
          this.settingsAcks++;
          return;
        }
        this.readSettings(buf, start, end);
        if (this.replies && !this.socket.destroyed) this.socket.write(SETTINGS_ACK);
        return;
      case FrameType.PING:
        if (flags & Flag.ACK) this.pingAcks++;
        else if (this.replies && !this.socket.destroyed && end - start === 8) this.socket.write(frame(FrameType.PING, Flag.ACK, 0, buf.subarray(start, end)));
        return;
      case FrameType.RST_STREAM: {
        const code = end - start >= 4 ? errorCodeName(buf.readUInt32BE(start)) : 'malformed';
        this.rstCodes[code] = (this.rstCodes[code] ?? 0) + 1;
        return;
      }
      case FrameType.GOAWAY: {
        this.goawayCount++;
        if (this.goaways.length < MAX_GOAWAYS_KEPT && end - start >= 8) {
          this.goaways.push({
            code: errorCodeName(buf.readUInt32BE(start + 4)),
            lastStreamId: buf.readUInt32BE(start) & 0x7fffffff,
            debug: buf.toString('latin1', start + 8, Math.min(end, start + 8 + DEBUG_TEXT_CHARS)).replace(/[^\x20-\x7e]/g, '.'),
            atMs: this.now(),
          });
        }
        return;
      }
      default:
        return; // WINDOW_UPDATE, PRIORITY, PUSH_PROMISE, unknown: nothing a pattern judges
    }
  }

  onDataStart(): void {
    this.blocks.checkData();
    this.dataFrames++;
    this.framesIn++;
  }

  onDataBytes(_buf: Buffer, start: number, end: number): void {
    this.dataBytes += end - start;
  }

  onDataEnd(): void {}

  private onHeaderBlock(buf: Buffer, start: number, end: number): void {
    const status = this.decoder.decode(buf, start, end, null);
    // -1: no :status (trailers); informational and final responses are both counted
    if (status >= 0) this.statuses[String(status)] = (this.statuses[String(status)] ?? 0) + 1;
  }

  private readSettings(buf: Buffer, start: number, end: number): void {
    for (let p = start; p + 6 <= end; p += 6) {
      const id = buf.readUInt16BE(p);
      const value = buf.readUInt32BE(p + 2);
      if (id === Setting.HEADER_TABLE_SIZE) this.settings.headerTableSize = value;
      else if (id === Setting.MAX_CONCURRENT_STREAMS) this.settings.maxConcurrentStreams = value;
      else if (id === Setting.INITIAL_WINDOW_SIZE) this.settings.initialWindowSize = value;
      else if (id === Setting.MAX_FRAME_SIZE) this.settings.maxFrameSize = value;
      else if (id === Setting.MAX_HEADER_LIST_SIZE) this.settings.maxHeaderListSize = value;
    }
    this.settingsReceived = true;
  }

  // ---- internals ------------------------------------------------------------------------------------

  private now(): number {
    return Math.round(performance.now() - this.origin);
  }

  private markClosedByTarget(): void {
    if (this.destroyedByUs || this.closedByTarget) return;
    this.closedByTarget = true;
    this.closedAtMs = this.now();
  }

  /** Waits for 'drain'; a stop reason when the deadline passes or the socket goes first. */
  private drained(budget: Budget): Promise<WriteStop | null> {
    return new Promise((resolve) => {
      const done = (stop: WriteStop | null): void => {
        clearTimeout(timer);
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(stop);
      };
      const onDrain = (): void => done(null);
      const onClose = (): void => done('closed');
      const timer = setTimeout(() => done('deadline'), budget.remainingMs);
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }
}
