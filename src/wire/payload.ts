/**
 * Reply bytes that a checker can verify without keeping a copy: byte i is i mod 256. Replies are views of
 * one shared buffer, so producing N bytes costs no allocation and no copy.
 */
let pattern = new Uint8Array(0);

export function patternBytes(n: number): Uint8Array {
  if (pattern.length < n) {
    pattern = new Uint8Array(Math.max(n, 64 * 1024));
    for (let i = 0; i < pattern.length; i++) pattern[i] = i & 0xff;
  }
  return pattern.subarray(0, n);
}

/** Whether `bytes` is exactly the pattern of its length. */
export function isPattern(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== (i & 0xff)) return false;
  return true;
}
