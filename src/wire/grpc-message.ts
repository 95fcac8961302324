/**
 * gRPC's length-prefixed messages (gRPC over HTTP/2, "Length-Prefixed-Message"): one flag byte
 * (0 = uncompressed), a 4-byte big-endian length, then that many bytes. Pure, no I/O: the writer prefixes
 * a message, the decoder takes DATA payloads of any size and returns only complete messages.
 */
import { WireError } from './errors.ts';

/** Compressed-Flag (1 byte) + Message-Length (4 bytes). */
export const GRPC_PREFIX_BYTES = 5;
/** The length field is a uint32; nothing larger can be framed. */
const MAX_FRAMEABLE_BYTES = 0xffff_ffff;
/**
 * Pieces of a split message at least this long are kept as copies of their own; shorter ones are gathered
 * into a slab, so a peer cutting a message into 1-byte DATA frames costs no buffer object per byte.
 */
const KEEP_ALONE_BYTES = 1024;
const SLAB_BYTES = 16 * 1024;

/**
 * One gRPC message whose payload is the concatenation of `parts` (`bytes` in all): the prefix and the
 * parts copied once into one buffer, so the message leaves in one write.
 */
export function frameGrpcMessage(parts: readonly Uint8Array[], bytes: number): Buffer {
  if (bytes > MAX_FRAMEABLE_BYTES) throw new WireError('MUX_ERR_FRAME_TOO_LARGE', `a gRPC message of ${bytes} bytes exceeds the 4-byte length field`);
  const out = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + bytes);
  out[0] = 0;
  out.writeUInt32BE(bytes, 1);
  let at = GRPC_PREFIX_BYTES;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The incremental decoder (after grpc-js's stream-decoder). A declared length above `maxMessageBytes`
 * throws MUX_ERR_FRAME_TOO_LARGE before anything is kept for it; a set compressed flag throws
 * MUX_ERR_GRPC_COMPRESSED (no grpc-encoding is ever negotiated here). What it holds between writes is at
 * most the prefix plus the bytes received of one message, so never more than `maxMessageBytes` + 5, plus
 * one slab of up to 16 KiB and at most two buffer objects per KiB received: the pieces of a split message are kept
 * as received (small ones gathered into slabs) and joined once complete, so a peer that declares a large
 * message and sends little of it costs only what it sent. After a write throws, the stream is malformed and
 * the decoder must be discarded.
 */
export class GrpcMessageDecoder {
  private readonly prefix = Buffer.alloc(GRPC_PREFIX_BYTES);
  private prefixHave = 0;
  /** the length of the message whose payload is being gathered, or -1 while reading a prefix */
  private want = -1;
  private pieces: Buffer[] = [];
  private have = 0;
  /** where small pieces are gathered; `slabUsed` bytes of it are taken */
  private slab: Buffer | null = null;
  private slabUsed = 0;

  constructor(readonly maxMessageBytes: number) {}

  /** Bytes held of a message that has not completed yet (0 between messages). */
  get bufferedBytes(): number {
    return this.want < 0 ? this.prefixHave : GRPC_PREFIX_BYTES + this.have;
  }

  /** The complete messages `chunk` finishes, in order (views into `chunk` where a message lies within it). */
  write(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    const end = chunk.length;
    while (pos < end) {
      if (this.want < 0) {
        if (this.prefixHave === 0 && end - pos >= GRPC_PREFIX_BYTES) {
          this.begin(chunk[pos]!, chunk.readUInt32BE(pos + 1));
          pos += GRPC_PREFIX_BYTES;
        } else {
          const take = Math.min(GRPC_PREFIX_BYTES - this.prefixHave, end - pos);
          chunk.copy(this.prefix, this.prefixHave, pos, pos + take);
          this.prefixHave += take;
          pos += take;
          if (this.prefixHave < GRPC_PREFIX_BYTES) break;
          this.prefixHave = 0;
          this.begin(this.prefix[0]!, this.prefix.readUInt32BE(1));
        }
        if (this.want === 0) this.complete(out, Buffer.alloc(0));
        continue;
      }
      const take = Math.min(this.want - this.have, end - pos);
      if (this.have === 0 && take === this.want) {
        this.complete(out, chunk.subarray(pos, pos + take));
      } else {
        this.keep(chunk, pos, pos + take);
        if (this.have === this.want) {
          this.closeSlab();
          this.complete(out, Buffer.concat(this.pieces, this.have));
        }
      }
      pos += take;
    }
    return out;
  }

  /** Keeps a piece of the message being gathered, as a copy: the producer may reuse its chunk once we return. */
  private keep(chunk: Buffer, start: number, end: number): void {
    const n = end - start;
    if (n >= KEEP_ALONE_BYTES) {
      this.closeSlab();
      this.pieces.push(Buffer.from(chunk.subarray(start, end)));
    } else {
      if (this.slab !== null && this.slabUsed + n > this.slab.length) this.closeSlab();
      // never larger than what the message still lacks: a declared length alone allocates nothing beyond it
      this.slab ??= Buffer.allocUnsafe(Math.min(SLAB_BYTES, this.want - this.have));
      chunk.copy(this.slab, this.slabUsed, start, end);
      this.slabUsed += n;
    }
    this.have += n;
  }

  private closeSlab(): void {
    if (this.slab === null) return;
    this.pieces.push(this.slab.subarray(0, this.slabUsed));
    this.slab = null;
    this.slabUsed = 0;
  }

  private begin(flag: number, length: number): void {
    if (flag !== 0) {
      throw new WireError('MUX_ERR_GRPC_COMPRESSED', `a gRPC message with compressed flag ${flag}, but no compression was negotiated`);
    }
    if (length > this.maxMessageBytes) {
      throw new WireError('MUX_ERR_FRAME_TOO_LARGE', `a gRPC message of ${length} bytes exceeds the limit of ${this.maxMessageBytes} bytes`);
    }
    this.want = length;
  }

  private complete(out: Buffer[], message: Buffer): void {
    out.push(message);
    this.want = -1;
    this.pieces = [];
    this.have = 0;
  }
}

/**
 * grpc-message's value encoding: percent-encoded UTF-8 for every byte outside printable ASCII and for
 * '%' itself, so any text survives as an HTTP/2 field value (no CR, LF or NUL).
 */
export function encodeGrpcStatusMessage(text: string): string {
  let out = '';
  for (const b of Buffer.from(text, 'utf8')) {
    out += b >= 0x20 && b <= 0x7e && b !== 0x25 ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The text of a received grpc-message; a malformed encoding is shown as received rather than refused. */
export function decodeGrpcStatusMessage(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
