/**
 * An incremental HTTP/1.1 response parser (RFC 9112) for the connector's origin connections: status line
 * and fields, then the body framed by Content-Length, chunked transfer coding, or the connection's close —
 * fed socket reads of any size, body bytes handed over as views without copies. 1xx interim responses
 * are skipped; a response to HEAD, a 204 and a 304 have no body (§6.3).
 */
import { MuxbenchError } from '../errors.ts';

export type ResponseFields = Record<string, string | string[]>;

export interface ResponseHead {
  status: number;
  /** lower-case names; repeated fields as arrays */
  headers: ResponseFields;
  /** whether body bytes follow the head */
  hasBody: boolean;
  /** the connection may carry another request once this response is complete */
  keepAlive: boolean;
}

export interface ResponseSink {
  onHead(head: ResponseHead): void;
  onBody(chunk: Buffer): void;
  /** the response is complete */
  onEnd(): void;
}

export class H1ParseError extends MuxbenchError {
  override readonly name = 'H1ParseError';
  readonly code = 'MUX_ERR_H1_PARSE';
}

const enum State {
  /** no response expected */
  Idle,
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
}

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** RFC 9110 §5.6.2 tchar, by character code */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

function isToken(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return s.length > 0;
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}
const MAX_LINE_BYTES = 4096;

export class H1ResponseParser {
  private state = State.Idle;
  private pending: Buffer | null = null;
  private headRequest = false;
  private left = 0;
  private keepAlive = true;

  constructor(
    private readonly sink: ResponseSink,
    private readonly maxHeadBytes = 64 * 1024,
  ) {}

  /** Nothing expected: between responses, or before the first. */
  get idle(): boolean {
    return this.state === State.Idle;
  }

  /** A request was sent: parse its response (`method` HEAD means no body). */
  expect(method: string): void {
    this.state = State.Head;
    this.headRequest = method === 'HEAD';
    this.pending = null;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let p = 0;
    while (p < buf.length) {
      switch (this.state) {
        case State.Idle:
          throw new H1ParseError('the origin sent bytes no request asked for');
        case State.Head: {
          const end = buf.indexOf(HEAD_END, p);
          if (end < 0) {
            if (buf.length - p > this.maxHeadBytes) throw new H1ParseError(`response head larger than ${this.maxHeadBytes} bytes`);
            this.pending = buf.subarray(p);
            return;
          }
          if (end - p > this.maxHeadBytes) throw new H1ParseError(`response head larger than ${this.maxHeadBytes} bytes`);
          const text = buf.toString('latin1', p, end);
          p = end + HEAD_END.length;
          this.onHeadText(text);
          break;
        }
        case State.Length: {
          const n = Math.min(this.left, buf.length - p);
          this.sink.onBody(buf.subarray(p, p + n));
          p += n;
          this.left -= n;
          if (this.left === 0) this.complete();
          break;
        }
        case State.UntilClose:
          this.sink.onBody(buf.subarray(p));
          return;
        case State.ChunkSize: {
          const end = buf.indexOf(CRLF, p);
          if (end < 0) return this.stashLine(buf, p);
          const line = buf.toString('latin1', p, end);
          p = end + 2;
          const semi = line.indexOf(';');
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9A-Fa-f]{1,8}$/.test(hex)) throw new H1ParseError(`bad chunk size line '${line.slice(0, 40)}'`);
          this.left = parseInt(hex, 16);
          this.state = this.left === 0 ? State.Trailers : State.ChunkData;
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.left, buf.length - p);
          this.sink.onBody(buf.subarray(p, p + n));
          p += n;
          this.left -= n;
          if (this.left === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.ChunkDataEnd: {
          if (buf.length - p < 2) return this.stashLine(buf, p);
          if (buf[p] !== 0x0d || buf[p + 1] !== 0x0a) throw new H1ParseError('chunk data not followed by CRLF');
          p += 2;
          this.state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          // trailer fields are read past and dropped (HTTP/1.1 origins rarely send them; gRPC goes over h2c)
          const end = buf.indexOf(CRLF, p);
          if (end < 0) return this.stashLine(buf, p);
          const empty = end === p;
          p = end + 2;
          if (empty) this.complete();
          break;
        }
      }
    }
  }

  /** The connection closed: ends a close-delimited body; anywhere else mid-response is an error. */
  close(): void {
    if (this.state === State.UntilClose) {
      this.state = State.Idle;
      this.sink.onEnd();
      return;
    }
    if (this.state !== State.Idle) throw new H1ParseError('the origin closed the connection before the response was complete');
  }

  private stashLine(buf: Buffer, p: number): void {
    if (buf.length - p > MAX_LINE_BYTES) throw new H1ParseError(`chunked framing line longer than ${MAX_LINE_BYTES} bytes`);
    this.pending = buf.subarray(p);
  }

  private complete(): void {
    this.state = State.Idle;
    this.sink.onEnd();
  }

  private onHeadText(text: string): void {
    // Hand-rolled rather than split + regex: this runs once per proxied request.
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const minor = text.charCodeAt(7) - 48;
    const status = Number(text.slice(9, 12));
    if (
      !text.startsWith('HTTP/1.') ||
      (minor !== 0 && minor !== 1) ||
      text.charCodeAt(8) !== 32 ||
      !(status >= 100 && status <= 999) ||
      !isDigits(text, 9, 12) ||
      (eol > 12 && text.charCodeAt(12) !== 32)
    ) {
      throw new H1ParseError(`bad status line '${text.slice(0, Math.min(eol, 60))}'`);
    }
    const headers: ResponseFields = {};
    let p = eol + 2;
    while (p < text.length) {
      let end = text.indexOf('\r\n', p);
      if (end < 0) end = text.length;
      const colon = text.indexOf(':', p);
      if (colon <= p || colon > end) throw new H1ParseError(`bad header line '${text.slice(p, Math.min(end, p + 60))}'`);
      const name = text.slice(p, colon).toLowerCase();
      if (!isToken(name)) throw new H1ParseError(`bad header name '${name.slice(0, 60)}'`);
      const value = text.slice(colon + 1, end).trim();
      const prev = headers[name];
      if (prev === undefined) headers[name] = value;
      else if (Array.isArray(prev)) prev.push(value);
      else headers[name] = [prev, value];
      p = end + 2;
    }
    if (status < 200) {
      if (status === 101) throw new H1ParseError('the origin switched protocols on a plain request');
      return; // interim response (100 Continue, 103 Early Hints): the final one follows
    }
    const connection = String(headers.connection ?? '').toLowerCase();
    this.keepAlive = minor === 1 ? !connection.includes('close') : connection.includes('keep-alive');

    const noBody = this.headRequest || status === 204 || status === 304;
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (noBody) {
      this.sink.onHead({ status, headers, hasBody: false, keepAlive: this.keepAlive });
      this.complete();
      return;
    }
    if (te !== undefined) {
      const codings = String(te)
        .toLowerCase()
        .split(',')
        .map((s) => s.trim());
      if (codings[codings.length - 1] === 'chunked') {
        this.state = State.ChunkSize;
      } else {
        this.state = State.UntilClose;
        this.keepAlive = false;
      }
      delete headers['content-length']; // §6.3: Transfer-Encoding overrides it
    } else if (cl !== undefined) {
      const values = (Array.isArray(cl) ? cl : [cl]).flatMap((v) => v.split(',').map((s) => s.trim()));
      if (!values.every((v) => /^\d{1,15}$/.test(v) && v === values[0])) throw new H1ParseError(`bad content-length '${String(cl).slice(0, 40)}'`);
      this.left = Number(values[0]);
      this.state = State.Length;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
    const hasBody = !(this.state === State.Length && this.left === 0);
    this.sink.onHead({ status, headers, hasBody, keepAlive: this.keepAlive });
    if (!hasBody) this.complete();
  }
}
