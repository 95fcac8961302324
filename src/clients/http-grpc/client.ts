/**
 * The http_grpc client: `call(funcId, args)` multiplexes calls into batches, each batch one POST (or, with
 * `streamRequests`, a chunk of one long POST), decodes the reply stream incrementally and settles every
 * call exactly once — its reply, a typed error with the server's code, or "no reply".
 */
import { CRATE_MAX_CALLS_PER_REQUEST, FrameWriter, NO_REPLY_CODE, ResponseFrameDecoder, type ResponseFrame, U32_MAX, WireError } from '../../wire/index.ts';
import {
  HttpGrpcCallError,
  HttpGrpcClientClosedError,
  type HttpGrpcError,
  HttpGrpcNoReplyError,
  HttpGrpcProtocolError,
  HttpGrpcStatusError,
  HttpGrpcTransportError,
} from './errors.ts';
import { createTransport, type ExchangeSink, type OpenExchange, type Transport, type TransportKind } from './transport.ts';

export interface HttpGrpcClientOptions {
  /** Where to POST, e.g. http://127.0.0.1:8080/ */
  url: string;
  transport?: TransportKind;
  /** How long calls gather before their batch is sent; 0 = at the end of the current tick. */
  batchWindowMs?: number;
  /** Calls per request; 0 = unlimited. The default, 64, never trips the crate's limit. */
  maxCallsPerBatch?: number;
  /**
   * false: every batch is its own POST with a complete body. true: batches are appended to one open POST
   * (until it has carried maxCallsPerBatch calls), which ends once nothing is waiting on it.
   */
  streamRequests?: boolean;
  /** HTTP/1.1 connections in the pool, or h2c sessions. */
  connections?: number;
  /** Largest reply payload accepted. */
  maxPayloadBytes?: number;
  headers?: Record<string, string>;
}

export type CallCallback = (err: HttpGrpcError | null, reply: Uint8Array | null) => void;

const DEFAULTS = {
  transport: 'http1' as TransportKind,
  batchWindowMs: 0,
  maxCallsPerBatch: CRATE_MAX_CALLS_PER_REQUEST,
  streamRequests: false,
  connections: 16,
};

/** Bytes of a refused request's body kept for the error message. */
const STATUS_BODY_LIMIT = 4096;

export class HttpGrpcClient {
  private readonly transport: Transport;
  private readonly windowMs: number;
  private readonly maxCalls: number;
  private readonly stream: boolean;
  private readonly maxPayloadBytes: number | undefined;

  private nextCallId = 0;
  /** Frames waiting for the next send, and the batch they belong to. */
  private readonly writer = new FrameWriter();
  private current: Batch | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private flushQueued = false;
  private readonly live = new Set<Batch>();
  private destroyed = false;

  constructor(options: HttpGrpcClientOptions) {
    const url = new URL(options.url);
    if (url.protocol !== 'http:') throw new TypeError(`http_grpc client: only http:// URLs are supported, got ${options.url}`);
    this.windowMs = nonNegative('batchWindowMs', options.batchWindowMs ?? DEFAULTS.batchWindowMs);
    this.maxCalls = nonNegative('maxCallsPerBatch', options.maxCallsPerBatch ?? DEFAULTS.maxCallsPerBatch);
    this.stream = options.streamRequests ?? DEFAULTS.streamRequests;
    this.maxPayloadBytes = options.maxPayloadBytes;
    this.transport = createTransport(options.transport ?? DEFAULTS.transport, {
      url,
      headers: options.headers ?? {},
      connections: Math.max(1, options.connections ?? DEFAULTS.connections),
    });
  }

  /** Calls in flight or waiting to be sent. */
  get pendingCalls(): number {
    let n = 0;
    for (const b of this.live) n += b.pending.size;
    return n;
  }

  call(funcId: number, args: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.send(funcId, args, (err, reply) => (err ? reject(err) : resolve(reply!)));
    });
  }

  /** The callback form of `call`, without a promise per call (for load generators). */
  send(funcId: number, args: Uint8Array, callback: CallCallback): void {
    if (!Number.isInteger(funcId) || funcId < 0 || funcId > U32_MAX) throw new TypeError(`funcId must be a u32, got ${funcId}`);
    if (!(args instanceof Uint8Array)) throw new TypeError('args must be a Uint8Array');
    if (this.destroyed) {
      callback(new HttpGrpcClientClosedError(), null);
      return;
    }
    let batch = this.current;
    if (batch === null) {
      batch = this.current = new Batch(this, this.maxPayloadBytes);
      this.live.add(batch);
    }
    const callId = this.nextCallId;
    this.nextCallId = callId === U32_MAX ? 0 : callId + 1;
    batch.pending.set(callId, callback);
    batch.calls++;
    this.writer.requestFrame(callId, funcId, args);
    if (this.maxCalls > 0 && batch.calls >= this.maxCalls) {
      this.flush();
    } else {
      this.scheduleFlush();
    }
  }

  /** Sends whatever calls are gathered now instead of waiting for the window. */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const batch = this.current;
    if (!batch || this.writer.length === 0) return;
    const bytes = this.writer.take();
    const full = this.maxCalls > 0 && batch.calls >= this.maxCalls;
    if (!this.stream) {
      this.current = null;
      batch.exchange = this.transport.open(batch, bytes);
      return;
    }
    batch.exchange ??= this.transport.open(batch);
    batch.exchange.write(bytes);
    if (full) {
      this.current = null;
      batch.endBody();
    }
  }

  private scheduleFlush(): void {
    if (this.windowMs > 0) {
      this.flushTimer ??= setTimeout(() => {
        this.flushTimer = null;
        this.flush();
      }, this.windowMs);
      return;
    }
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Called by a streamed batch with nothing left to answer: end its body so its response can end. */
  idle(batch: Batch): void {
    if (this.current === batch && this.writer.length === 0) {
      this.current = null;
      batch.endBody();
    }
  }

  retire(batch: Batch): void {
    this.live.delete(batch);
    if (this.current === batch) {
      // Its exchange failed while calls were still being gathered for it: they fail with it, and the
      // frames gathered for it must not be sent on another request.
      this.current = null;
      this.writer.take();
    }
  }

  /** Sends what is gathered, ends open requests, waits for every call to settle, then closes connections. */
  async close(): Promise<void> {
    this.flush();
    if (this.current) {
      this.current.endBody();
      this.current = null;
    }
    await Promise.all([...this.live].map((b) => b.settled));
    await this.transport.close();
  }

  /** Fails every unanswered call at once and drops the connections. */
  async destroy(): Promise<void> {
    this.destroyed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.writer.take();
    this.current = null;
    for (const b of [...this.live]) {
      b.fail(new HttpGrpcClientClosedError());
      b.exchange?.abort();
    }
    await this.transport.destroy();
  }
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number, got ${value}`);
  return value;
}

/** One POST and the calls riding on it. */
class Batch implements ExchangeSink {
  readonly pending = new Map<number, CallCallback>();
  calls = 0;
  exchange: OpenExchange | null = null;
  readonly settled: Promise<void>;

  private readonly decoder: ResponseFrameDecoder;
  private status = 0;
  private statusBody = '';
  private bodyEnded = false;
  private over = false;
  private idleCheckQueued = false;
  private resolveSettled!: () => void;

  constructor(
    private readonly client: HttpGrpcClient,
    maxPayloadBytes: number | undefined,
  ) {
    this.decoder = new ResponseFrameDecoder({ maxPayloadBytes });
    this.settled = new Promise((resolve) => (this.resolveSettled = resolve));
  }

  endBody(): void {
    if (this.bodyEnded) return;
    this.bodyEnded = true;
    this.exchange?.end();
  }

  onStatus(status: number): void {
    this.status = status;
  }

  onData(chunk: Uint8Array): void {
    if (this.over) return;
    if (this.status !== 200) {
      if (this.statusBody.length < STATUS_BODY_LIMIT) this.statusBody += Buffer.from(chunk).toString('utf8', 0, STATUS_BODY_LIMIT);
      return;
    }
    let frames: ResponseFrame[];
    try {
      frames = this.decoder.write(chunk);
    } catch (err) {
      this.fail(new HttpGrpcProtocolError(`malformed reply stream: ${err instanceof WireError ? err.message : String(err)}`));
      this.exchange?.abort();
      return;
    }
    for (const frame of frames) {
      const callback = this.pending.get(frame.callId);
      if (callback === undefined) {
        this.fail(new HttpGrpcProtocolError(`reply for call ${frame.callId}, which is not waiting on this request`));
        this.exchange?.abort();
        return;
      }
      this.pending.delete(frame.callId);
      if (frame.code === 0) callback(null, frame.payload!);
      else if (frame.code === NO_REPLY_CODE) callback(new HttpGrpcNoReplyError('no-reply-frame', frame.callId), null);
      else callback(new HttpGrpcCallError(frame.code, frame.payload!), null);
    }
    if (this.pending.size === 0 && !this.bodyEnded && !this.idleCheckQueued) {
      // Callbacks may have made new calls onto this very batch; look again once they have all run.
      this.idleCheckQueued = true;
      setImmediate(() => {
        this.idleCheckQueued = false;
        if (this.pending.size === 0 && !this.over) this.client.idle(this);
      });
    }
  }

  onEnd(): void {
    if (this.over) return;
    if (this.status !== 200) {
      this.fail(new HttpGrpcStatusError(this.status, this.statusBody));
      return;
    }
    this.finish((callId) => new HttpGrpcNoReplyError('response-ended', callId));
  }

  onError(err: unknown): void {
    if (this.over) return;
    this.fail(new HttpGrpcTransportError(err));
  }

  fail(err: HttpGrpcError): void {
    this.finish(() => err);
  }

  private finish(errorFor: (callId: number) => HttpGrpcError): void {
    this.over = true;
    this.bodyEnded = true;
    this.client.retire(this);
    const waiting = [...this.pending];
    this.pending.clear();
    for (const [callId, callback] of waiting) callback(errorFor(callId), null);
    this.resolveSettled();
  }
}
