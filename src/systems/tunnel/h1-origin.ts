/**
 * HTTP/1.1 from the connector to the HTTP origin, the way cloudflared's Go transport talks to origins by
 * default: one request at a time per keep-alive connection, as many connections as requests in flight,
 * idle ones reused. The request head goes out in one write, bodies of unknown length chunked; responses
 * are parsed by H1ResponseParser and streamed into the exchange with backpressure both ways.
 *
 * A request that finds its reused connection closed by the origin before any reply byte (the keep-alive
 * race every HTTP/1.1 client has) is sent once more on a new connection, if it had no body.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { H1ParseError, H1ResponseParser, type ResponseHead, type ResponseSink } from '../../h1/response-parser.ts';
import { endToEnd } from './headers.ts';
import type { ConnectorExchange } from './types.ts';

/** Idle connections older than this are closed (origins close theirs too; Node's default is 5 s). */
const IDLE_TIMEOUT_MS = 4000;
/** CR, LF and NUL would let a header value or path start a new line on the wire (request smuggling). */
const UNSAFE = /[\0\r\n]/;
const UNSAFE_PATH = /[\0\r\n\t ]/;

interface Call {
  readonly ex: ConnectorExchange;
  readonly retryable: boolean;
  head: ResponseHead | null;
  requestSent: boolean;
  responseDone: boolean;
  done: boolean;
}

class Conn implements ResponseSink {
  readonly socket: Socket;
  readonly parser = new H1ResponseParser(this);
  call: Call | null = null;
  used = false;
  idleSince = 0;
  lastError = '';

  constructor(
    private readonly pool: H1OriginPool,
    origin: URL,
  ) {
    this.socket = netConnect({ host: origin.hostname, port: Number(origin.port) });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => (this.lastError = err.message));
    this.socket.on('close', () => this.pool.closed(this));
  }

  private onData(chunk: Buffer): void {
    if (this.call === null) {
      this.socket.destroy(); // bytes nobody asked for: the connection is out of step
      return;
    }
    try {
      this.parser.push(chunk);
    } catch (err) {
      if (!(err instanceof H1ParseError)) throw err;
      this.lastError = `malformed response: ${err.message}`;
      this.socket.destroy();
    }
  }

  onHead(head: ResponseHead): void {
    const call = this.call!;
    call.head = head;
    call.ex.respond({ status: head.status, headers: endToEnd(head.headers) }, { endStream: !head.hasBody });
  }

  onBody(chunk: Buffer): void {
    const call = this.call!;
    if (!call.ex.stream.write(chunk)) {
      this.socket.pause();
      call.ex.stream.once('drain', () => {
        if (this.call === call) this.socket.resume();
      });
    }
  }

  onEnd(): void {
    const call = this.call!;
    call.responseDone = true;
    if (call.head?.hasBody) call.ex.finish(null);
    this.pool.settle(this, call);
  }
}

export class H1OriginPool {
  private idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly origin: URL) {}

  forward(ex: ConnectorExchange): void {
    const { head } = ex;
    const path = head.path || '/';
    if (UNSAFE_PATH.test(path)) return ex.fail(400, 'refusing to forward a request path with whitespace, CR, LF or NUL');
    for (const name in head.headers) {
      const v = head.headers[name]!;
      if (Array.isArray(v) ? v.some((x) => UNSAFE.test(x)) : UNSAFE.test(v)) {
        return ex.fail(400, `refusing to forward header '${name}': its value holds CR, LF or NUL`);
      }
    }
    if (UNSAFE.test(head.authority)) return ex.fail(400, 'refusing to forward an authority with CR, LF or NUL');
    this.send(ex, !head.hasBody);
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const c of this.all) c.socket.destroy();
  }

  private send(ex: ConnectorExchange, retryable: boolean): void {
    if (ex.stream.destroyed) return;
    const { head } = ex;
    const conn = this.idle.pop() ?? this.connect();
    const call: Call = { ex, retryable: retryable && conn.used, head: null, requestSent: false, responseDone: false, done: false };
    conn.used = true;
    conn.call = call;
    conn.parser.expect(head.method);

    const chunked = head.hasBody && head.headers['content-length'] === undefined;
    let text = `${head.method} ${head.path || '/'} HTTP/1.1\r\nhost: ${head.authority || this.origin.host}\r\n`;
    for (const name in head.headers) {
      if (name === 'transfer-encoding') continue;
      const v = head.headers[name]!;
      if (Array.isArray(v)) for (const x of v) text += `${name}: ${x}\r\n`;
      else text += `${name}: ${v}\r\n`;
    }
    if (chunked) text += 'transfer-encoding: chunked\r\n';
    text += '\r\n';
    const socket = conn.socket;
    // With a body, hold the head back until the body is in too (or this turn of the loop is over): a
    // small request then costs one write, not three.
    let corked = head.hasBody;
    const uncork = (): void => {
      if (!corked) return;
      corked = false;
      socket.uncork();
    };
    if (corked) {
      socket.cork();
      setImmediate(uncork);
    }
    socket.write(text, 'latin1');

    ex.stream.once('close', () => {
      if (!call.done) socket.destroy(); // the exchange went away mid-call: this connection cannot be reused
    });
    if (!head.hasBody) {
      call.requestSent = true;
      return;
    }
    const resume = (): void => {
      ex.stream.resume();
    };
    ex.stream.on('data', (chunk: Buffer) => {
      if (call.done || socket.destroyed) return;
      let ok: boolean;
      if (chunked) {
        socket.cork();
        socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
        socket.write(chunk);
        ok = socket.write('\r\n', 'latin1');
        socket.uncork();
      } else {
        ok = socket.write(chunk);
      }
      if (!ok) {
        uncork();
        ex.stream.pause();
        socket.once('drain', resume);
      }
    });
    ex.stream.once('end', () => {
      if (call.done || socket.destroyed) return;
      if (chunked) socket.write('0\r\n\r\n', 'latin1');
      uncork();
      call.requestSent = true;
      if (call.responseDone) this.settle(conn, call);
    });
  }

  /** The response is complete: the connection goes back to the pool once the request is out too. */
  settle(conn: Conn, call: Call): void {
    if (call.done) return;
    if (!call.requestSent) {
      // The origin answered before the request body was all sent (§9.3 allows it): finish here and close
      // the connection rather than send the rest to nobody.
      call.done = true;
      conn.call = null;
      conn.socket.destroy();
      return;
    }
    call.done = true;
    conn.call = null;
    if (!call.head?.keepAlive || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    // A write that filled the exchange paused the socket; an ended exchange emits no 'drain' to resume it.
    conn.socket.resume();
    conn.idleSince = Date.now();
    this.idle.push(conn);
    this.sweeper ??= setInterval(() => this.sweep(), IDLE_TIMEOUT_MS / 2).unref();
  }

  /** A connection closed: an unfinished call ends with its reason, or is retried on a new connection. */
  closed(conn: Conn): void {
    this.all.delete(conn);
    const i = this.idle.indexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
    const call = conn.call;
    if (call === null || call.done) {
      conn.call = null;
      return;
    }
    try {
      conn.parser.close(); // completes a body delimited by the close (onEnd settles the call)
    } catch (err) {
      if (!(err instanceof H1ParseError)) throw err;
    }
    conn.call = null;
    if (call.done) return;
    call.done = true;
    if (call.head === null && call.retryable) {
      this.send(call.ex, false);
      return;
    }
    const why = conn.lastError || 'the origin closed the connection before the response was complete';
    call.ex.fail(502, `origin http failed: ${why}`);
  }

  private connect(): Conn {
    const conn = new Conn(this, this.origin);
    this.all.add(conn);
    return conn;
  }

  private sweep(): void {
    const cutoff = Date.now() - IDLE_TIMEOUT_MS;
    const keep: Conn[] = [];
    for (const c of this.idle) {
      if (c.idleSince < cutoff) c.socket.destroy();
      else keep.push(c);
    }
    this.idle = keep;
    if (this.all.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }
}
