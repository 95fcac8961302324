/**
 * Appends frames into one growing buffer so that many frames leave in one write (one HTTP chunk, one
 * DATA frame). `take()` hands over what was written and starts afresh; the bytes handed over are never
 * touched again, so they may be queued on a socket.
 */
import { requestFrameLength, writeRequestFrame } from './request-frame.ts';
import {
  type CallIdInput,
  noReplyFrameLength,
  responseFrameLength,
  responseHeaderLength,
  writeNoReplyFrame,
  writeResponseFrame,
  writeResponseHeader,
} from './response-frame.ts';

const DEFAULT_CHUNK_BYTES = 16 * 1024;

export class FrameWriter {
  private buf: Buffer;
  private len = 0;

  constructor(private readonly chunkBytes = DEFAULT_CHUNK_BYTES) {
    this.buf = Buffer.allocUnsafe(chunkBytes);
  }

  get length(): number {
    return this.len;
  }

  requestFrame(callId: number, funcId: number, payload: Uint8Array): void {
    this.reserve(requestFrameLength(callId, funcId, payload.length));
    this.len = writeRequestFrame(this.buf, this.len, callId, funcId, payload);
  }

  responseFrame(callId: CallIdInput, code: number, payload: Uint8Array): void {
    this.reserve(responseFrameLength(callId, code, payload.length));
    this.len = writeResponseFrame(this.buf, this.len, callId, code, payload);
  }

  /** Only the header; the caller sends the payload itself right after what `take()` returns. */
  responseHeader(callId: CallIdInput, code: number, payloadLength: number): void {
    this.reserve(responseHeaderLength(callId, code, payloadLength));
    this.len = writeResponseHeader(this.buf, this.len, callId, code, payloadLength);
  }

  noReplyFrame(callId: CallIdInput): void {
    this.reserve(noReplyFrameLength(callId));
    this.len = writeNoReplyFrame(this.buf, this.len, callId);
  }

  /** The bytes written since the last take (a view; the writer never writes to it again). */
  take(): Buffer {
    const out = this.buf.subarray(0, this.len);
    const rest = this.buf.length - this.len;
    // Keep writing into the unused tail when it is still worth it, else start a fresh buffer.
    this.buf = rest >= 256 ? this.buf.subarray(this.len) : Buffer.allocUnsafe(this.chunkBytes);
    this.len = 0;
    return out;
  }

  private reserve(bytes: number): void {
    if (this.len + bytes <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.chunkBytes, (this.len + bytes) * 2));
    this.buf.copy(grown, 0, 0, this.len);
    this.buf = grown;
  }
}
