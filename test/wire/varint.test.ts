import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVarint, encodeVarint, U32_MAX, varintLength, WireError } from '../../src/wire/index.ts';
import { hex, toHex } from '../helpers/chunks.ts';

describe('varint', () => {
  it.each([
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [500, 'f403'],
    [1001, 'e907'],
    [1002, 'ea07'],
    [U32_MAX, 'ffffffff0f'],
  ])('encodes %d as %s and decodes it back', (value, bytes) => {
    expect(toHex(encodeVarint(value))).toBe(bytes);
    expect(varintLength(value)).toBe(bytes.length / 2);
    expect(decodeVarint(hex(bytes))).toEqual({ value, length: bytes.length / 2 });
  });

  it('accepts non-canonical encodings', () => {
    expect(decodeVarint(hex('8000'))).toEqual({ value: 0, length: 2 });
    expect(decodeVarint(hex('ff80808000'))).toEqual({ value: 127, length: 5 });
  });

  it('drops value bits beyond 32 in the fifth byte, as the crate does', () => {
    expect(decodeVarint(hex('ffffffff7f'))).toEqual({ value: U32_MAX, length: 5 });
    expect(decodeVarint(hex('8080808010'))).toEqual({ value: 0, length: 5 });
  });

  it('reports an incomplete varint as undefined', () => {
    expect(decodeVarint(new Uint8Array())).toBeUndefined();
    expect(decodeVarint(hex('ffffff'))).toBeUndefined();
    expect(decodeVarint(hex('ffffffff'))).toBeUndefined();
  });

  it('rejects a fifth byte with the continuation bit as overlength', () => {
    const attempt = () => decodeVarint(hex('ffffffffff01'));
    expect(attempt).toThrow(WireError);
    expect(attempt).toThrow(/overlength/);
    try {
      attempt();
    } catch (err) {
      expect((err as WireError).code).toBe('MUX_ERR_VARINT_OVERLENGTH');
    }
    // Even with only 5 bytes present the verdict is known.
    expect(() => decodeVarint(hex('8080808080'))).toThrow(/overlength/);
  });

  it('refuses to encode values outside u32', () => {
    for (const bad of [-1, U32_MAX + 1, 1.5, Number.NaN]) {
      expect(() => encodeVarint(bad)).toThrow(/not an unsigned 32-bit integer/);
    }
  });

  it('round-trips every u32 (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: U32_MAX }), (value) => {
        const bytes = encodeVarint(value);
        expect(decodeVarint(bytes)).toEqual({ value, length: bytes.length });
      }),
    );
  });

  it('throws nothing but WireError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (bytes) => {
        try {
          decodeVarint(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
