import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeNoReplyFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  FrameWriter,
  RequestFrameDecoder,
  type RequestFrame,
  ResponseFrameDecoder,
  type ResponseFrame,
  U32_MAX,
  WireError,
} from '../../src/wire/index.ts';
import { chunkings, hex, toHex } from '../helpers/chunks.ts';

type Plain = { callId: number; id: string; second: number; payload: string | null };

const plainRequest = (f: RequestFrame): Plain => ({
  callId: f.callId,
  id: toHex(f.callIdBytes),
  second: f.funcId,
  payload: toHex(f.payload),
});
const plainResponse = (f: ResponseFrame): Plain => ({
  callId: f.callId,
  id: toHex(f.callIdBytes),
  second: f.code,
  payload: f.payload && toHex(f.payload),
});

function decodeRequests(chunks: Uint8Array[], maxPayloadBytes?: number): Plain[] {
  const d = new RequestFrameDecoder({ maxPayloadBytes });
  return chunks.flatMap((c) => d.write(c).map(plainRequest));
}
function decodeResponses(chunks: Uint8Array[]): Plain[] {
  const d = new ResponseFrameDecoder();
  return chunks.flatMap((c) => d.write(c).map(plainResponse));
}

describe('request frames', () => {
  const vector = hex('e9 07 ea 07 04 01 02 03 04');
  const expected: Plain = { callId: 1001, id: 'e907', second: 1002, payload: '01020304' };

  it('encodes the DESIGN.md vector', () => {
    expect(toHex(encodeRequestFrame(1001, 1002, hex('01020304')))).toBe(toHex(vector));
  });

  it.each([...chunkings(vector)].map((c) => [c.name, c.chunks] as const))('decodes the vector fed %s', (_, chunks) => {
    expect(decodeRequests(chunks)).toEqual([expected]);
  });

  it('decodes several frames, including empty payloads and non-canonical ids, under every chunking', () => {
    const body = Buffer.concat([
      encodeRequestFrame(0, 1, new Uint8Array()),
      hex('80 00 02 03 aa bb cc'), // call id 0 written non-canonically
      encodeRequestFrame(U32_MAX, U32_MAX, hex('ff')),
      vector,
    ]);
    const want: Plain[] = [
      { callId: 0, id: '00', second: 1, payload: '' },
      { callId: 0, id: '8000', second: 2, payload: 'aabbcc' },
      { callId: U32_MAX, id: 'ffffffff0f', second: U32_MAX, payload: 'ff' },
      expected,
    ];
    for (const { name, chunks } of chunkings(body)) {
      expect(decodeRequests(chunks), name).toEqual(want);
    }
  });

  it('returns only complete frames and reports what it holds of a partial one', () => {
    const d = new RequestFrameDecoder();
    expect(d.write(vector.subarray(0, 3))).toEqual([]);
    expect(d.bufferedBytes).toBe(3);
    expect(d.write(vector.subarray(3, 7))).toEqual([]);
    expect(d.bufferedBytes).toBe(7);
    expect(d.write(vector.subarray(7)).map(plainRequest)).toEqual([expected]);
    expect(d.bufferedBytes).toBe(0);
  });

  it('rejects a declared length past the maximum before allocating it', () => {
    // 4 GiB - 1 declared: allocating it would throw RangeError or exhaust memory; the decoder must refuse first.
    const huge = hex('01 01 ff ff ff ff 0f');
    for (const { name, chunks } of chunkings(huge)) {
      expect(() => decodeRequests(chunks), name).toThrow(WireError);
    }
    expect(() => decodeRequests([encodeRequestFrame(1, 1, new Uint8Array(11))], 10)).toThrow(/11 bytes exceeds the limit of 10 bytes/);
    expect(decodeRequests([encodeRequestFrame(1, 1, new Uint8Array(10))], 10)).toHaveLength(1);
  });

  it('rejects an overlength varint in any field', () => {
    for (const bad of ['ffffffffff01 01 00', '01 ffffffffff01 00', '01 01 ffffffffff01']) {
      for (const { name, chunks } of chunkings(hex(bad))) {
        let caught: unknown;
        try {
          decodeRequests(chunks);
        } catch (err) {
          caught = err;
        }
        expect((caught as WireError | undefined)?.code, `${bad} ${name}`).toBe('MUX_ERR_VARINT_OVERLENGTH');
      }
    }
  });

  it('round-trips any frame sequence under any chunking (property)', () => {
    const frame = fc.record({
      callId: fc.integer({ min: 0, max: U32_MAX }),
      funcId: fc.integer({ min: 0, max: U32_MAX }),
      payload: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (frames, cuts) => {
        const body = Buffer.concat(frames.map((f) => encodeRequestFrame(f.callId, f.funcId, f.payload)));
        const points = [...new Set(cuts.map((c) => (body.length ? c % body.length : 0)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let prev = 0;
        for (const p of [...points, body.length]) {
          chunks.push(body.subarray(prev, p));
          prev = p;
        }
        const got = decodeRequests(chunks);
        expect(got).toEqual(
          frames.map((f) => ({
            callId: f.callId,
            id: toHex(encodeRequestFrame(f.callId, 0, new Uint8Array()).subarray(0, -2)),
            second: f.funcId,
            payload: toHex(f.payload),
          })),
        );
      }),
    );
  });

  it('throws nothing but WireError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (chunks) => {
        const d = new RequestFrameDecoder({ maxPayloadBytes: 1024 });
        try {
          for (const c of chunks) d.write(c);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});

describe('response frames', () => {
  it('encodes the DESIGN.md vectors', () => {
    expect(toHex(encodeResponseFrame(5, 500, new TextEncoder().encode('boom')))).toBe('05f40304626f6f6d');
    expect(toHex(encodeNoReplyFrame(1001))).toBe('e907ffffffff0f');
    // the id is echoed exactly as received
    expect(toHex(encodeNoReplyFrame(hex('e987')))).toBe('e987ffffffff0f');
    expect(toHex(encodeResponseFrame(hex('8000'), 0, hex('aa')))).toBe('80000001aa');
  });

  it('refuses code 0xFFFFFFFF with a payload', () => {
    expect(() => encodeResponseFrame(1, U32_MAX, new Uint8Array())).toThrow(/no-reply/);
  });

  const body = Buffer.concat([hex('05f40304626f6f6d'), hex('e907ffffffff0f'), encodeResponseFrame(7, 0, new Uint8Array()), hex('8000 ffffffff0f')]);
  const want: Plain[] = [
    { callId: 5, id: '05', second: 500, payload: '626f6f6d' },
    { callId: 1001, id: 'e907', second: U32_MAX, payload: null },
    { callId: 7, id: '07', second: 0, payload: '' },
    { callId: 0, id: '8000', second: U32_MAX, payload: null },
  ];
  it.each([...chunkings(body)].map((c) => [c.name, c.chunks] as const))('decodes error, no-reply and empty frames fed %s', (_, chunks) => {
    expect(decodeResponses(chunks)).toEqual(want);
  });

  it('round-trips through FrameWriter', () => {
    const w = new FrameWriter(8); // tiny chunk size forces growth
    w.responseFrame(5, 500, new TextEncoder().encode('boom'));
    w.noReplyFrame(1001);
    const first = w.take();
    w.responseFrame(hex('8000'), 0, new Uint8Array(1000).fill(7));
    const second = w.take();
    expect(toHex(first)).toBe('05f40304626f6f6de907ffffffff0f');
    const frames = decodeResponses([second]);
    expect(frames).toEqual([{ callId: 0, id: '8000', second: 0, payload: '07'.repeat(1000) }]);
    expect(toHex(first)).toBe('05f40304626f6f6de907ffffffff0f'); // untouched by later writes
  });

  it('throws nothing but WireError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 5 }), (chunks) => {
        const d = new ResponseFrameDecoder({ maxPayloadBytes: 1024 });
        try {
          for (const c of chunks) d.write(c);
        } catch (err) {
          expect(err).toBeInstanceOf(WireError);
        }
      }),
    );
  });
});
