/**
 * Property tests (fast-check) for every decoder of the HTTP/2 stack and for a whole session: arbitrary
 * bytes, cut into arbitrary pieces, never make the frame reader, the HPACK decoder or the Huffman decoder
 * throw anything but the stack's own protocol errors; the frame reader reports the same frames however
 * the bytes are cut; a session fed arbitrary frames ends (if it ends) with the connection error the input
 * calls for, never INTERNAL_ERROR. `bench/fuzz-h2.ts` runs the same targets for a million inputs.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES, huffmanDecode } from '../../src/h2/huffman.ts';
import { fuzzTargets } from '../helpers/h2-fuzz.ts';

const RUNS = 1500;

describe('property tests', () => {
  for (const target of fuzzTargets) {
    it(target.name, () => {
      fc.assert(
        fc.property(target.arbitrary, (input) => target.run(input)),
        { numRuns: target.name.startsWith('session') ? 500 : RUNS },
      );
    });
  }

  it('Huffman decoder: decodes what the code in Appendix B encodes, for every latin1 string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (symbols) => {
        const encoded = huffmanEncode(symbols);
        expect(huffmanDecode(encoded, 0, encoded.length)).toBe(Buffer.from(symbols).toString('latin1'));
      }),
      { numRuns: RUNS },
    );
  });
});

function huffmanEncode(symbols: Uint8Array): Uint8Array {
  const bits: number[] = [];
  for (const s of symbols) {
    const len = HUFFMAN_CODE_LENGTHS[s]!;
    const code = HUFFMAN_CODES[s]!;
    for (let i = len - 1; i >= 0; i--) bits.push(Math.floor(code / 2 ** i) & 1);
  }
  while (bits.length % 8 !== 0) bits.push(1); // the most significant bits of EOS
  const out = new Uint8Array(bits.length / 8);
  for (let i = 0; i < bits.length; i++) out[i >> 3]! |= bits[i]! << (7 - (i & 7));
  return out;
}
