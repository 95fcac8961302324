/** Ways of cutting one byte string into chunks, for feeding incremental decoders. */
export function* chunkings(bytes: Uint8Array): Generator<{ name: string; chunks: Uint8Array[] }> {
  yield { name: 'whole', chunks: [bytes] };
  yield { name: 'byte by byte', chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) };
  for (let cut = 1; cut < bytes.length; cut++) {
    yield { name: `split at ${cut}`, chunks: [bytes.subarray(0, cut), bytes.subarray(cut)] };
  }
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
