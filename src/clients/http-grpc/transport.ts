/**
 * The two ways the client carries a POST: HTTP/1.1 through an undici Pool, and h2c through node:http2
 * (undici speaks HTTP/2 only over TLS). Both are full duplex: replies are read while the body is written.
 */
import { connect as h2connect, type ClientHttp2Session, constants as h2constants } from 'node:http2';
import { PassThrough } from 'node:stream';
import { Pool } from 'undici';

export type TransportKind = 'http1' | 'h2c';

/** What a transport reports about one exchange; exactly one of onEnd / onError ends it. */
export interface ExchangeSink {
  onStatus(status: number): void;
  onData(chunk: Uint8Array): void;
  onEnd(): void;
  onError(err: unknown): void;
}

export interface OpenExchange {
  /** Appends to a streamed body (not for bodies given whole to `open`). */
  write(chunk: Uint8Array): void;
  end(): void;
  abort(): void;
}

export interface Transport {
  /** Starts a POST. `wholeBody` sends a complete body with a content-length; without it the body streams. */
  open(sink: ExchangeSink, wholeBody?: Uint8Array): OpenExchange;
  /** Waits for open exchanges to finish, then closes the connections. */
  close(): Promise<void>;
  /** Drops the connections now; open exchanges end with errors. */
  destroy(): Promise<void>;
}

export interface TransportOptions {
  url: URL;
  headers: Record<string, string>;
  /** HTTP/1.1: pool size; h2c: sessions, calls spread round-robin. */
  connections: number;
}

const CONTENT_TYPE = 'application/octet-stream';

export function createTransport(kind: TransportKind, options: TransportOptions): Transport {
  return kind === 'http1' ? new Http1Transport(options) : new H2cTransport(options);
}

class Http1Transport implements Transport {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(private readonly options: TransportOptions) {
    this.pool = new Pool(options.url.origin, { connections: options.connections, pipelining: 1 });
    this.path = options.url.pathname + options.url.search;
  }

  open(sink: ExchangeSink, wholeBody?: Uint8Array): OpenExchange {
    const controller = new AbortController();
    const body = wholeBody ?? new PassThrough();
    let ended = false;
    this.pool
      .request({
        method: 'POST',
        path: this.path,
        headers: { 'content-type': CONTENT_TYPE, ...this.options.headers },
        body,
        signal: controller.signal,
      })
      .then(
        ({ statusCode, body: response }) => {
          sink.onStatus(statusCode);
          response.on('data', (chunk: Buffer) => sink.onData(chunk));
          response.on('end', () => {
            ended = true;
            sink.onEnd();
          });
          response.on('error', (err) => {
            if (!ended) sink.onError(err);
          });
        },
        (err: unknown) => sink.onError(err),
      );
    const stream = wholeBody ? undefined : (body as PassThrough);
    return {
      write: (chunk) => {
        stream?.write(chunk);
      },
      end: () => {
        stream?.end();
      },
      abort: () => controller.abort(),
    };
  }

  private closing: Promise<void> | null = null;

  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }

  destroy(): Promise<void> {
    this.closing = this.pool.destroyed ? (this.closing ?? Promise.resolve()) : this.pool.destroy();
    return this.closing;
  }
}

class H2cTransport implements Transport {
  private readonly sessions: ClientHttp2Session[] = [];
  private next = 0;
  private readonly path: string;

  constructor(private readonly options: TransportOptions) {
    this.path = options.url.pathname + options.url.search;
  }

  private session(): ClientHttp2Session {
    const i = this.next++ % this.options.connections;
    let s = this.sessions[i];
    if (!s || s.closed || s.destroyed) {
      s = h2connect(this.options.url.origin);
      // Errors surface on the streams that were using the session; a bare session error must not crash.
      s.on('error', () => {});
      this.sessions[i] = s;
    }
    return s;
  }

  open(sink: ExchangeSink, wholeBody?: Uint8Array): OpenExchange {
    const stream = this.session().request({
      ':method': 'POST',
      ':path': this.path,
      'content-type': CONTENT_TYPE,
      ...this.options.headers,
      ...(wholeBody ? { 'content-length': String(wholeBody.length) } : {}),
    });
    let finished = false;
    stream.on('response', (headers) => sink.onStatus(Number(headers[':status'])));
    stream.on('data', (chunk: Buffer) => sink.onData(chunk));
    stream.on('end', () => {
      finished = true;
      sink.onEnd();
    });
    stream.on('error', (err) => {
      if (!finished) {
        finished = true;
        sink.onError(err);
      }
    });
    stream.on('close', () => {
      // A stream reset without an error event (RST_STREAM NO_ERROR/CANCEL) still has to end the exchange.
      if (!finished) {
        finished = true;
        sink.onError(new Error(`HTTP/2 stream closed with code ${stream.rstCode}`));
      }
    });
    if (wholeBody) stream.end(wholeBody);
    return {
      write: (chunk) => {
        stream.write(chunk);
      },
      end: () => {
        stream.end();
      },
      abort: () => stream.close(h2constants.NGHTTP2_CANCEL),
    };
  }

  close(): Promise<void> {
    return Promise.all(this.sessions.map((s) => new Promise<void>((resolve) => (s.closed || s.destroyed ? resolve() : s.close(() => resolve()))))).then(
      () => undefined,
    );
  }

  destroy(): Promise<void> {
    for (const s of this.sessions) s.destroy();
    return Promise.resolve();
  }
}
