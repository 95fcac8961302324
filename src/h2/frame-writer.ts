/**
 * Outgoing frames for one connection, gathered and written together: small frames are copied into a
 * 64 KiB slab, large DATA payloads queued as views (no copy), and `flushTo` hands everything gathered to
 * the socket in one corked write. Used by the raw session and by the load engine's connection.
 */
import type { Socket } from 'node:net';
import { Flag, FRAME_HEADER_BYTES, FrameType, writeFrameHeader } from './frames.ts';

const SLAB_BYTES = 64 * 1024;
/** DATA payloads up to this size are copied into the slab; larger ones are written as views. */
const COPY_DATA_MAX_BYTES = 1024;

export class FrameWriter {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private pos = 0;
  private segStart = 0;
  private queue: Buffer[] = [];

  /** Appends a frame built elsewhere. */
  append(frame: Uint8Array): void {
    const at = this.reserve(frame.length);
    this.slab.set(frame, at);
  }

  /** A frame header with room for `payloadBytes` after it; returns [slab, offset of the payload]. */
  frame(type: number, flags: number, streamId: number, payloadBytes: number): [Buffer, number] {
    const at = this.reserve(FRAME_HEADER_BYTES + payloadBytes);
    writeFrameHeader(this.slab, at, payloadBytes, type, flags, streamId);
    return [this.slab, at + FRAME_HEADER_BYTES];
  }

  /** One DATA frame carrying `piece` (copied when small, else queued as a view). */
  data(streamId: number, piece: Buffer, flags: number): void {
    const copy = piece.length <= COPY_DATA_MAX_BYTES;
    const at = this.reserve(FRAME_HEADER_BYTES + (copy ? piece.length : 0));
    writeFrameHeader(this.slab, at, piece.length, FrameType.DATA, flags, streamId);
    if (copy) this.slab.set(piece, at + FRAME_HEADER_BYTES);
    else {
      this.closeSegment();
      this.queue.push(piece);
    }
  }

  /** A header block as HEADERS, split into CONTINUATION frames beyond `maxFrameSize` (§6.10). */
  headerBlock(streamId: number, block: Uint8Array, endStream: boolean, maxFrameSize: number): void {
    const end = endStream ? Flag.END_STREAM : 0;
    if (block.length <= maxFrameSize) {
      const [slab, at] = this.frame(FrameType.HEADERS, Flag.END_HEADERS | end, streamId, block.length);
      slab.set(block, at);
      return;
    }
    for (let off = 0; off < block.length; off += maxFrameSize) {
      const n = Math.min(maxFrameSize, block.length - off);
      const last = off + n === block.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      const [slab, at] = this.frame(type, (last ? Flag.END_HEADERS : 0) | (off === 0 ? end : 0), streamId, n);
      slab.set(block.subarray(off, off + n), at);
    }
  }

  /**
   * Writes what was gathered (nothing if the socket is gone or ending). Returns false when the socket
   * asked the writer to wait for 'drain'.
   */
  flushTo(socket: Socket): boolean {
    this.closeSegment();
    const out = this.queue;
    if (out.length === 0) return true;
    this.queue = [];
    if (socket.destroyed || socket.writableEnded) return true;
    if (out.length === 1) return socket.write(out[0]!);
    socket.cork();
    for (const b of out) socket.write(b);
    socket.uncork();
    return !socket.writableNeedDrain;
  }

  private reserve(n: number): number {
    if (this.pos + n > this.slab.length) {
      this.closeSegment();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, n));
      this.pos = 0;
      this.segStart = 0;
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private closeSegment(): void {
    if (this.pos > this.segStart) this.queue.push(this.slab.subarray(this.segStart, this.pos));
    this.segStart = this.pos;
  }
}
