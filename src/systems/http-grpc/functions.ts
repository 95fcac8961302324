/**
 * The built-in functions of the reference http_grpc server. Their ids (src/clients/http-grpc/builtins.ts)
 * are fixed so that any client — ours, curl with a hand-built body, another team's — can call them.
 */
import { FUNC } from '../../clients/http-grpc/builtins.ts';
import { patternBytes } from '../../wire/payload.ts';
import { CODE_HANDLER_ERROR, DEFAULT_MAX_PAYLOAD_BYTES, readVarint, VARINT_INCOMPLETE, WireError } from '../../wire/index.ts';

/** Code a built-in returns when its args cannot be read (the codes are "like HTTP status codes"). */
export const CODE_BAD_ARGS = 400;

/** A reply with an explicit code. A bare Uint8Array is shorthand for code 0 with that payload. */
export interface CodedReply {
  code: number;
  payload: Uint8Array;
}
/** `undefined` means "no reply": the 0xFFFFFFFF frame. */
export type Reply = Uint8Array | CodedReply | undefined;

/** Per HTTP request, shared by all its calls: the request headers and a signal that fires on disconnect. */
export interface CallContext {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly signal: AbortSignal;
}

export type Handler = (args: Uint8Array, ctx: CallContext) => Reply | Promise<Reply>;

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

export function codedReply(code: number, message: string): CodedReply {
  return { code, payload: encoder.encode(message) };
}

/** Reads a leading varint argument; returns [value, rest] or a 400 reply naming the function. */
function leadingVarint(name: string, args: Uint8Array): [number, Uint8Array] | CodedReply {
  let packed: number;
  try {
    packed = readVarint(args, 0, args.length);
  } catch (err) {
    if (err instanceof WireError) return codedReply(CODE_BAD_ARGS, `${name}: ${err.message}`);
    throw err;
  }
  if (packed === VARINT_INCOMPLETE) return codedReply(CODE_BAD_ARGS, `${name}: args must start with a varint`);
  const length = packed % 8;
  return [(packed - length) / 8, args.subarray(length)];
}

/** Largest `sized` reply and `sleep` delay the built-ins accept; beyond them a call is refused, not obeyed. */
export const MAX_SIZED_BYTES = DEFAULT_MAX_PAYLOAD_BYTES;
export const MAX_SLEEP_MS = 60_000;
export const MAX_CPU_US = 10_000_000;

function sleep(ms: number, payload: Uint8Array, signal: AbortSignal): Promise<Reply> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(undefined);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(undefined);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(payload);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function spin(us: number): void {
  const until = performance.now() + us / 1000;
  while (performance.now() < until) {
    // busy on purpose: this function measures what CPU-bound handlers do to multiplexing
  }
}

/** The built-ins indexed by function id; a missing id answers with the no-reply frame, as the crate does. */
export const BUILTINS: readonly (Handler | undefined)[] = (() => {
  const table: (Handler | undefined)[] = [];
  table[FUNC.echo] = (args) => args;
  table[FUNC.sized] = (args) => {
    const read = leadingVarint('sized', args);
    if (!Array.isArray(read)) return read;
    const [n] = read;
    if (n > MAX_SIZED_BYTES) return codedReply(CODE_BAD_ARGS, `sized: ${n} bytes exceeds the limit of ${MAX_SIZED_BYTES}`);
    return patternBytes(n);
  };
  table[FUNC.sleep] = (args, ctx) => {
    const read = leadingVarint('sleep', args);
    if (!Array.isArray(read)) return read;
    const [ms, payload] = read;
    if (ms > MAX_SLEEP_MS) return codedReply(CODE_BAD_ARGS, `sleep: ${ms} ms exceeds the limit of ${MAX_SLEEP_MS} ms`);
    return sleep(ms, payload, ctx.signal);
  };
  table[FUNC.cpu] = (args) => {
    const read = leadingVarint('cpu', args);
    if (!Array.isArray(read)) return read;
    const [us] = read;
    if (us > MAX_CPU_US) return codedReply(CODE_BAD_ARGS, `cpu: ${us} µs exceeds the limit of ${MAX_CPU_US} µs`);
    spin(us);
    return EMPTY;
  };
  table[FUNC.fail] = (args) => ({ code: CODE_HANDLER_ERROR, payload: args });
  table[FUNC.none] = () => undefined;
  return table;
})();
