import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameGrpcMessage, GrpcMessageDecoder, WireError } from '../../src/wire/index.ts';
import { chunkings, hex, toHex } from '../helpers/chunks.ts';

const asBuffer = (c: Uint8Array): Buffer => Buffer.from(c.buffer, c.byteOffset, c.byteLength);

function decode(chunks: Uint8Array[], max = 1024): string[] {
  const d = new GrpcMessageDecoder(max);
  const out = chunks.flatMap((c) => d.write(asBuffer(c)).map(toHex));
  expect(d.bufferedBytes).toBe(0);
  return out;
}

function thrown(f: () => unknown): WireError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(WireError);
    return err as WireError;
  }
  throw new Error('expected a WireError');
}

describe('gRPC length-prefixed messages', () => {
  // "ab", an empty message, then 01 02 03: three messages in one byte string
  const vector = hex('00 00000002 6162  00 00000000  00 00000003 010203');

  it('frames parts as one message with the 5-byte prefix', () => {
    expect(toHex(frameGrpcMessage([Buffer.from('a'), Buffer.from('b')], 2))).toBe('00000000026162');
    expect(toHex(frameGrpcMessage([], 0))).toBe('0000000000');
  });

  it('decodes the vector whole, byte by byte and split at every offset', () => {
    for (const { name, chunks } of chunkings(vector)) {
      expect(decode(chunks), name).toEqual(['6162', '', '010203']);
    }
  });

  it('refuses a declared length over the limit before holding anything of the payload', () => {
    const d = new GrpcMessageDecoder(4);
    expect(d.write(asBuffer(hex('00 00000004 01020304')))).toHaveLength(1);
    const err = thrown(() => d.write(asBuffer(hex('00 00000005'))));
    expect(err.code).toBe('MUX_ERR_FRAME_TOO_LARGE');
    expect(err.message).toMatch(/5 bytes exceeds the limit of 4 bytes/);
    // split inside the prefix: refused once the length is known
    const split = new GrpcMessageDecoder(4);
    expect(split.write(asBuffer(hex('00 0000')))).toEqual([]);
    expect(thrown(() => split.write(asBuffer(hex('0100 ff')))).code).toBe('MUX_ERR_FRAME_TOO_LARGE');
  });

  it('refuses a compressed message (none is ever negotiated)', () => {
    expect(thrown(() => new GrpcMessageDecoder(1024).write(asBuffer(hex('01 00000001 00')))).code).toBe('MUX_ERR_GRPC_COMPRESSED');
  });

  it('holds only what arrived of a large declared message', () => {
    const d = new GrpcMessageDecoder(1 << 20);
    d.write(asBuffer(hex('00 00100000 0102')));
    expect(d.bufferedBytes).toBe(5 + 2);
  });

  it('gathers a message cut into 1-byte pieces into slabs, not one buffer per byte', () => {
    const d = new GrpcMessageDecoder(1 << 20);
    const message = Buffer.alloc(64 * 1024, 7);
    const wire = frameGrpcMessage([message], message.length);
    const out: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) {
      out.push(...d.write(wire.subarray(i, i + 1)));
      if (i === 60_000) expect((d as unknown as { pieces: Buffer[] }).pieces.length).toBeLessThanOrEqual(4);
    }
    expect(out).toHaveLength(1);
    expect(out[0]!.equals(message)).toBe(true);
  });

  it('keeps copies of split pieces: a producer reusing its chunk does not corrupt the message', () => {
    const d = new GrpcMessageDecoder(1024);
    const chunk = Buffer.from(hex('00 00000004 0102'));
    expect(d.write(chunk)).toEqual([]);
    chunk.fill(0xee);
    expect(d.write(Buffer.from(hex('0304'))).map(toHex)).toEqual(['01020304']);
  });

  it('round-trips any messages cut anywhere (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (messages, cuts) => {
        const bytes = Buffer.concat(messages.map((m) => frameGrpcMessage([m], m.length)));
        const offsets = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const at of [...offsets, bytes.length]) {
          chunks.push(bytes.subarray(from, at));
          from = at;
        }
        expect(decode(chunks, 3000)).toEqual(messages.map(toHex));
      }),
    );
  });
});
