/**
 * Just enough RFC 6455 framing for a test client on an HTTP/2 extended CONNECT stream, where the `ws`
 * package cannot go: masked client frames out, unmasked server frames in (payloads < 64 KiB).
 */
import { randomBytes } from 'node:crypto';

export function clientFrame(payload: Buffer, opcode = 0x1): Buffer {
  if (payload.length >= 65_536) throw new RangeError('test frames stay under 64 KiB');
  const mask = randomBytes(4);
  const head =
    payload.length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | payload.length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([head, mask, body]);
}

/** Parses one unmasked server frame from the start of `bytes`, or null when incomplete. */
export function serverFrame(bytes: Buffer): { opcode: number; payload: Buffer; length: number } | null {
  if (bytes.length < 2) return null;
  const opcode = bytes[0]! & 0x0f;
  let len = bytes[1]! & 0x7f;
  let at = 2;
  if (len === 126) {
    if (bytes.length < 4) return null;
    len = bytes.readUInt16BE(2);
    at = 4;
  }
  if (bytes.length < at + len) return null;
  return { opcode, payload: bytes.subarray(at, at + len), length: at + len };
}
