/**
 * The reference http_grpc server's built-in functions as a client calls them: their ids (fixed, so that
 * any client — ours, curl with a hand-built body, another team's — can call them) and how each call's
 * arguments are laid out. The server's implementations are in src/systems/http-grpc/functions.ts.
 */
import { encodeVarint } from '../../wire/index.ts';

export const FUNC = {
  echo: 1,
  sized: 2,
  sleep: 3,
  cpu: 4,
  fail: 5,
  none: 6,
} as const;
export type FuncName = keyof typeof FUNC;

/** One call of a load: which built-in, the bytes before its payload, the payload's size, what a reply holds. */
export interface BuiltinCall {
  funcId: number;
  argPrefix: number[];
  payloadBytes: number;
  /** 'echo': the payload sent; 'pattern': `patternBytes(length)` (src/wire/payload.ts) */
  reply: { kind: 'echo' } | { kind: 'pattern'; length: number };
}

/**
 * The call for a workload: `echo` returns the payload; `sized` asks for `payloadBytes` pattern bytes
 * (args: varint n); `sleep` waits `delayMs`, then echoes the payload (args: varint ms, then the payload).
 */
export function builtinCall(call: 'echo' | 'sized' | 'sleep', payloadBytes: number, delayMs: number): BuiltinCall {
  switch (call) {
    case 'echo':
      return { funcId: FUNC.echo, argPrefix: [], payloadBytes, reply: { kind: 'echo' } };
    case 'sized':
      return { funcId: FUNC.sized, argPrefix: [...encodeVarint(payloadBytes)], payloadBytes: 0, reply: { kind: 'pattern', length: payloadBytes } };
    case 'sleep':
      return { funcId: FUNC.sleep, argPrefix: [...encodeVarint(delayMs)], payloadBytes, reply: { kind: 'echo' } };
  }
}
