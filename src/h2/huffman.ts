/**
 * The HPACK Huffman code (RFC 7541 §5.2, Appendix B), decoding only: this engine never Huffman-encodes,
 * but servers (nghttp2, node:http2) encode response header strings with it.
 *
 * The code in Appendix B is canonical — codes of one length are consecutive and in symbol order, and each
 * length continues from the previous one — so the bit lengths below (one per symbol, transcribed from the
 * appendix's `len` column) determine every code. The test checks the lengths against the Kraft equality and
 * spot-checks codes against the appendix's hex column.
 */
import { ErrorCode, FrameError } from './errors.ts';

/** Code length in bits of symbols 0‥255 and EOS (256), RFC 7541 Appendix B. */
// prettier-ignore
export const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  // 0‥31: control characters
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  //  ' '  !   "   #   $   %   &   '   (   )   *   +   ,   -   .   /
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  //  0  1  2  3  4  5  6  7  8  9  :  ;   <  =   >   ?
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  //  @  A  B  C  D  E  F  G  H  I  J  K  L  M  N  O
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  //  P  Q  R  S  T  U  V  W  X  Y  Z   [   \   ]   ^  _
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  //  `  a  b  c  d  e  f  g  h  i  j  k  l  m  n  o
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  //  p  q  r  s  t  u  v  w  x  y  z   {   |   }   ~  DEL
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  // 128‥255
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24, 22, 21, 20, 22, 22, 23, 23,
  21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26,
  24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27,
  27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  // EOS
  30,
];

export const EOS = 256;

/** The canonical codes, right-aligned (the appendix's hex column). */
export const HUFFMAN_CODES: readonly number[] = canonicalCodes(HUFFMAN_CODE_LENGTHS);

function canonicalCodes(lengths: readonly number[]): number[] {
  const order = lengths.map((len, sym) => ({ len, sym })).sort((a, b) => a.len - b.len || a.sym - b.sym);
  const codes = new Array<number>(lengths.length).fill(0);
  let code = 0;
  let prevLen = order[0]!.len;
  for (const { len, sym } of order) {
    code *= 2 ** (len - prevLen); // multiply, not shift: codes reach 30 bits and must stay positive
    prevLen = len;
    codes[sym] = code;
    code++;
  }
  return codes;
}

/**
 * The code as a binary tree in a flat array: node n's children are at tree[2n] (bit 0) and tree[2n+1]
 * (bit 1). A value ≥ 0 is the next node; a value < 0 is a leaf holding symbol `-value - 1`.
 */
const TREE: Int32Array = buildTree();

function buildTree(): Int32Array {
  const tree = new Int32Array(2 * HUFFMAN_CODES.length); // a full binary tree with 257 leaves has 256 inner nodes
  let nodes = 1;
  for (let sym = 0; sym < HUFFMAN_CODES.length; sym++) {
    const len = HUFFMAN_CODE_LENGTHS[sym]!;
    const code = HUFFMAN_CODES[sym]!;
    let node = 0;
    for (let i = len - 1; i >= 0; i--) {
      const bit = Math.floor(code / 2 ** i) & 1;
      const slot = 2 * node + bit;
      if (i === 0) {
        tree[slot] = -sym - 1;
      } else {
        if (tree[slot] === 0) tree[slot] = nodes++;
        node = tree[slot]!;
      }
    }
  }
  return tree;
}

/** A malformed Huffman string: COMPRESSION_ERROR, like every HPACK failure (RFC 9113 §4.3). */
export class HuffmanError extends FrameError {
  override readonly name = 'HuffmanError';
  constructor(message: string) {
    super(ErrorCode.COMPRESSION_ERROR, message);
  }
}

/**
 * Decodes `src[start, end)` as a latin1 string. Throws HuffmanError for the three malformations §5.2 names:
 * an EOS symbol in the data, padding longer than 7 bits, and padding that is not the most significant
 * bits of EOS (all ones).
 */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  // 8 bits of input never yield more than 8/5 symbols: codes are at least 5 bits.
  const out = Buffer.allocUnsafe(Math.ceil(((end - start) * 8) / 5));
  let n = 0;
  let node = 0;
  let pendingBits = 0; // bits walked since the last symbol
  let pendingOnes = true;
  for (let i = start; i < end; i++) {
    const byte = src[i]!;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >> b) & 1;
      const next = TREE[2 * node + bit]!;
      if (next < 0) {
        const sym = -next - 1;
        if (sym === EOS) throw new HuffmanError('Huffman string contains the EOS symbol');
        out[n++] = sym;
        node = 0;
        pendingBits = 0;
        pendingOnes = true;
      } else {
        node = next;
        pendingBits++;
        if (bit === 0) pendingOnes = false;
      }
    }
  }
  if (pendingBits > 7) throw new HuffmanError(`Huffman padding of ${pendingBits} bits (at most 7 allowed)`);
  if (!pendingOnes) throw new HuffmanError('Huffman padding is not the prefix of EOS (all ones)');
  return out.toString('latin1', 0, n);
}
