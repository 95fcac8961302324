/** Reply checks shared by every engine. */
import { isPattern } from '../wire/payload.ts';
import type { Expectation } from './types.ts';

export function bodyMatches(body: Uint8Array, expected: Expectation['body']): boolean {
  if (expected === undefined) return true;
  if ('exact' in expected) return Buffer.compare(body, expected.exact) === 0;
  return body.length === expected.patternLength && isPattern(body);
}
