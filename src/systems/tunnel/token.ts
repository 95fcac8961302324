/** The connector's token check, shared by the tunnel designs' edges. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares in constant time (over digests, so unequal lengths leak nothing either). */
export function tokenMatches(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
