/**
 * A known slowdown on demand, to check that a regression gate catches what it should:
 * `MUXBENCH_INJECT_CPU_US=N` in a reference system's environment makes it burn N µs of CPU on every
 * request it handles (each http_grpc call, each HTTP or gRPC request at the origin, each request the tunnel
 * edge and connector forward). Unset or 0 costs one branch per request. Fractions are allowed: the gate is
 * sized against systems that spend only a few µs per call.
 */

export const INJECT_CPU_ENV = 'MUXBENCH_INJECT_CPU_US';
/** A tenth of a second per request is already no benchmark; larger is surely a typo. */
export const MAX_INJECT_CPU_US = 100_000;

/** The configured burn in µs; throws a message naming the variable when the value is not a number in range. */
export function injectedCpuUs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[INJECT_CPU_ENV];
  if (text === undefined || text.trim() === '') return 0;
  const us = Number(text);
  if (!Number.isFinite(us) || us < 0 || us > MAX_INJECT_CPU_US) {
    throw new RangeError(`${INJECT_CPU_ENV} must be a number of µs from 0 to ${MAX_INJECT_CPU_US}, got '${text}'`);
  }
  return us;
}

function burner(us: number): () => void {
  if (us <= 0) return () => {};
  const ms = us / 1000;
  return () => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // busy on purpose: an injected, known cost per request
    }
  };
}

let configured: number | null = null;
let burn: () => void = () => {};

/** Burns the configured CPU time; call once per request handled. */
export function injectCpu(): void {
  burn();
}

/** Reads the environment once at start-up (serve calls it before listening, so a bad value stops the start). */
export function configureInjectedCpu(env: NodeJS.ProcessEnv = process.env): number {
  configured = injectedCpuUs(env);
  burn = burner(configured);
  return configured;
}

export function injectedCpuConfigured(): number | null {
  return configured;
}
