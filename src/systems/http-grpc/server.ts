/**
 * The reference http_grpc server. One `Exchange` per HTTP request turns the request body into calls and
 * the calls' results into a streamed reply body, in completion order.
 *
 * compat: the crate's behaviour — whole body first, then every call at once, at most 64 calls.
 * streaming: each call starts as soon as its frame is decoded and replies flow while the body is still
 * arriving; the body stops being read while `maxInflight` calls run or the client is not reading replies.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { constants as h2constants } from 'node:http2';
import { FrameWriter, NO_REPLY_CODE, RequestFrameDecoder, type RequestFrame, U32_MAX, WireError } from '../../wire/index.ts';
import type { HttpGrpcServerOptions } from './config.ts';
import { injectCpu } from '../inject-cpu.ts';
import { BUILTINS, type CallContext, type Handler, type Reply } from './functions.ts';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** Payloads above this go to the socket as they are instead of being copied into the reply buffer. */
const COPY_LIMIT_BYTES = 16 * 1024;
/** Replies gathered before they are written even mid-chunk, so write backpressure is seen in time. */
const FLUSH_AT_BYTES = 64 * 1024;

export interface HandlerTable {
  readonly functions: readonly (Handler | undefined)[];
  /** Called with errors thrown by handlers (they end their call without a frame, as in the crate). */
  readonly onHandlerError?: (err: unknown, funcId: number) => void;
}

export function httpGrpcRequestHandler(options: HttpGrpcServerOptions, table: HandlerTable = { functions: BUILTINS }): (req: Req, res: Res) => void {
  return (req, res) => {
    new Exchange(req, res, options, table).start();
  };
}

class Exchange implements CallContext {
  readonly signal: AbortSignal;
  readonly headers: IncomingHttpHeaders;

  private readonly controller = new AbortController();
  private readonly decoder: RequestFrameDecoder;
  private readonly writer = new FrameWriter();
  private readonly streaming: boolean;
  /** Frames decoded but not started: compat holds all until the body ends; streaming holds those over the bound. */
  private queue: RequestFrame[] = [];
  private queueHead = 0;
  private calls = 0;
  private inflight = 0;
  private bodyBytes = 0;
  private bodyEnded = false;
  private done = false;
  private headersSent = false;
  private paused = false;
  private writeBlocked = false;
  private flushScheduled = false;

  constructor(
    private readonly req: Req,
    private readonly res: Res,
    private readonly options: HttpGrpcServerOptions,
    private readonly table: HandlerTable,
  ) {
    this.signal = this.controller.signal;
    this.headers = req.headers;
    this.streaming = options.mode === 'streaming';
    this.decoder = new RequestFrameDecoder({ maxPayloadBytes: options.maxPayloadBytes });
  }

  start(): void {
    const { req, res } = this;
    // A client that goes away mid-request shows up as errors on both sides; they end the exchange quietly.
    req.on('error', () => this.abort());
    res.on('error', () => this.abort());
    res.on('close', () => {
      if (!this.done) this.abort();
    });

    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return this.refuse(405, `http_grpc expects POST, got ${req.method}`);
    }
    const declared = Number(req.headers['content-length']);
    if (this.options.maxBodyBytes > 0 && declared > this.options.maxBodyBytes) {
      return this.refuse(413, `request body of ${declared} bytes exceeds the limit of ${this.options.maxBodyBytes} bytes`);
    }
    res.on('drain', () => {
      this.writeBlocked = false;
      this.drainQueue();
      this.flush();
      this.updateFlow();
      this.finishIfIdle();
    });
    req.on('data', (chunk: Buffer) => this.onData(chunk));
    req.on('end', () => this.onEnd());
  }

  private onData(chunk: Buffer): void {
    if (this.done) return;
    this.bodyBytes += chunk.length;
    if (this.options.maxBodyBytes > 0 && this.bodyBytes > this.options.maxBodyBytes) {
      return this.refuse(413, `request body exceeds the limit of ${this.options.maxBodyBytes} bytes`);
    }
    let frames: RequestFrame[];
    try {
      frames = this.decoder.write(chunk);
    } catch (err) {
      if (!(err instanceof WireError)) throw err;
      return this.refuse(err.code === 'MUX_ERR_FRAME_TOO_LARGE' ? 413 : 400, err.message);
    }
    this.calls += frames.length;
    if (this.options.maxCalls > 0 && this.calls > this.options.maxCalls) {
      return this.refuse(400, `too many calls in one request (the limit is ${this.options.maxCalls})`);
    }
    if (!this.streaming) {
      for (const f of frames) this.queue.push(f);
      return;
    }
    for (const f of frames) {
      if (this.canRun() && this.queueHead === this.queue.length) this.run(f);
      else this.queue.push(f);
    }
    this.flush();
    this.updateFlow();
  }

  private onEnd(): void {
    if (this.done) return;
    // A frame cut off by the end of the body is dropped; the complete ones still run (as in the crate).
    this.bodyEnded = true;
    this.drainQueue();
    this.flush();
    this.finishIfIdle();
  }

  /**
   * Whether another call may start: not while the client is not taking replies (in both modes — the crate's
   * tasks block on a one-slot channel the same way), and in streaming mode not beyond maxInflight.
   */
  private canRun(): boolean {
    return !this.done && !this.writeBlocked && (!this.streaming || this.inflight < this.options.maxInflight);
  }

  /** Starts queued calls while the bounds allow (compat: only once the body has ended). */
  private drainQueue(): void {
    if (!this.streaming && !this.bodyEnded) return;
    while (this.queueHead < this.queue.length && this.canRun()) {
      this.run(this.queue[this.queueHead++]!);
    }
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
  }

  private run(frame: RequestFrame): void {
    injectCpu();
    const handler = this.table.functions[frame.funcId];
    if (handler === undefined) {
      this.writer.noReplyFrame(frame.replyCallId);
      return;
    }
    let result: Reply | Promise<Reply>;
    try {
      result = handler(frame.payload, this);
    } catch (err) {
      this.table.onHandlerError?.(err, frame.funcId);
      return;
    }
    if (result instanceof Promise) {
      this.inflight++;
      result.then(
        (reply) => this.complete(frame, reply),
        (err: unknown) => {
          this.table.onHandlerError?.(err, frame.funcId);
          this.complete(frame, null);
        },
      );
      return;
    }
    this.encode(frame, result);
  }

  /** An asynchronous call finished (reply null: it crashed and sends no frame). */
  private complete(frame: RequestFrame, reply: Reply | null): void {
    this.inflight--;
    if (this.done) return;
    if (reply !== null) this.encode(frame, reply);
    this.drainQueue();
    this.scheduleFlush();
    this.updateFlow();
    this.finishIfIdle();
  }

  private encode(frame: RequestFrame, reply: Reply): void {
    if (reply === undefined) {
      this.writer.noReplyFrame(frame.replyCallId);
      return;
    }
    let code = 0;
    let payload: Uint8Array;
    if (reply instanceof Uint8Array) {
      payload = reply;
    } else {
      code = reply.code;
      payload = reply.payload;
      if (!Number.isInteger(code) || code < 0 || code >= U32_MAX || code === NO_REPLY_CODE) {
        this.table.onHandlerError?.(new RangeError(`handler returned code ${code}, not a u32 below 0xFFFFFFFF`), frame.funcId);
        return;
      }
    }
    if (payload.length <= COPY_LIMIT_BYTES) {
      this.writer.responseFrame(frame.replyCallId, code, payload);
      if (this.writer.length >= FLUSH_AT_BYTES) this.flush();
      return;
    }
    this.writer.responseHeader(frame.replyCallId, code, payload.length);
    this.flush();
    this.write(payload);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One write for every completion of this turn of the event loop, not one per call.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.done || this.writer.length === 0) return;
    this.write(this.writer.take());
  }

  private write(bytes: Uint8Array): void {
    if (!this.headersSent) this.sendHeaders(200, 'application/octet-stream');
    if (!(this.res as ServerResponse).write(bytes)) this.writeBlocked = true;
  }

  private sendHeaders(status: number, contentType: string): void {
    this.headersSent = true;
    this.res.writeHead(status, { 'content-type': contentType });
  }

  /** Stops reading the body while calls are over the bound or the client is not taking replies. */
  private updateFlow(): void {
    if (this.done || this.bodyEnded) return;
    const hold = this.writeBlocked || this.queueHead < this.queue.length || this.inflight >= this.options.maxInflight;
    if (hold && !this.paused) {
      this.paused = true;
      this.req.pause();
    } else if (!hold && this.paused) {
      this.paused = false;
      this.req.resume();
    }
  }

  private finishIfIdle(): void {
    if (this.done || !this.bodyEnded || this.inflight > 0 || this.queueHead < this.queue.length) return;
    this.flush();
    if (!this.headersSent) this.sendHeaders(200, 'application/octet-stream');
    this.done = true;
    this.res.end();
  }

  /** Refuses the request with a status and a plain-text reason, or aborts it if replies already went out. */
  private refuse(status: number, message: string): void {
    if (this.done) return;
    this.done = true;
    this.controller.abort();
    this.queue = [];
    if (this.headersSent) {
      // The status line is gone; the only honest signal left is to cut the response short.
      this.cutOff();
      return;
    }
    this.headersSent = true;
    const body = `${message}\n`;
    this.res.writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      // An HTTP/1.1 body we stop reading leaves the connection unusable; say so instead of dumping it.
      ...('httpVersionMajor' in this.req && this.req.httpVersionMajor === 1 ? { connection: 'close' } : {}),
    });
    this.res.end(body);
    this.req.resume(); // discard the rest of the body rather than stall the connection
  }

  private cutOff(): void {
    const res = this.res;
    if ('stream' in res) res.stream.close(h2constants.NGHTTP2_PROTOCOL_ERROR);
    else res.destroy();
  }

  private abort(): void {
    if (this.done && this.controller.signal.aborted) return;
    this.done = true;
    this.queue = [];
    this.controller.abort();
  }
}
