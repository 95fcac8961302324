/**
 * MUXBENCH_INJECT_CPU_US, the gate's calibration knob: every reference system process burns the given CPU
 * time on each request it handles — the http_grpc server per call, the origin per request, the tunnel's
 * edge and connector per forwarded request — and a bad value stops the start with a message naming it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { sampleProcess } from '../../src/measure/resources.ts';
import { startTunnelStack } from '../../src/run/stacks.ts';
import { startSystem, type Supervised } from '../../src/run/supervise.ts';
import { INJECT_CPU_ENV } from '../../src/systems/inject-cpu.ts';
import { encodeRequestFrame } from '../../src/wire/index.ts';
import { runCli, stopAll } from '../helpers/cli.ts';

afterAll(stopAll);

const REQUESTS = 100;
const INJECT_US = 2000;
/** The burn is wall-clock: a descheduled process burns less CPU than it waits, so allow half. */
const MIN_EXTRA_MS = (REQUESTS * INJECT_US * 0.5) / 1000;

function cpuMs(p: Supervised): number {
  return sampleProcess(p.pid)!.cpuMs;
}

async function sequentially(n: number, one: () => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i++) await one();
}

async function extraCpu(
  start: (env: NodeJS.ProcessEnv) => Promise<{ procs: Supervised[]; send: () => Promise<void>; stop: () => Promise<void> }>,
): Promise<number[][]> {
  const out: number[][] = [];
  for (const env of [process.env, { ...process.env, [INJECT_CPU_ENV]: String(INJECT_US) }]) {
    const s = await start(env);
    try {
      await s.send(); // connections open, first-call costs paid
      const before = s.procs.map(cpuMs);
      await sequentially(REQUESTS, s.send);
      out.push(s.procs.map((p, i) => cpuMs(p) - before[i]!));
    } finally {
      await s.stop();
    }
  }
  return out;
}

describe(INJECT_CPU_ENV, () => {
  it('makes the http_grpc server burn it on every call', async () => {
    const [plain, injected] = await extraCpu(async (env) => {
      const server = await startSystem('http-grpc', ['--port', '0'], { env });
      const url = server.ready.urls.http!;
      return {
        procs: [server],
        send: async () => {
          const res = await fetch(url, { method: 'POST', body: encodeRequestFrame(1, 1, new Uint8Array([1, 2, 3])) });
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        },
        stop: async () => void (await server.stop()),
      };
    });
    expect(injected![0]!).toBeGreaterThan(plain![0]! + MIN_EXTRA_MS);
  });

  it('makes the origin, the tunnel edge and the connector each burn it on every request', async () => {
    const [plain, injected] = await extraCpu(async (env) => {
      const stack = await startTunnelStack({ design: 'h2', start: { env } });
      const { origin, edge, connector } = stack.processes as Record<'origin' | 'edge' | 'connector', Supervised>;
      return {
        procs: [origin, edge, connector],
        send: async () => {
          const res = await fetch(`${stack.urls.public}/echo`, { method: 'POST', body: 'x' });
          expect(res.status).toBe(200);
          await res.arrayBuffer();
        },
        stop: stack.stop,
      };
    });
    for (let i = 0; i < 3; i++) expect(injected![i]!).toBeGreaterThan(plain![i]! + MIN_EXTRA_MS);
  });

  it('refuses a value that is not a number of µs, naming the variable', async () => {
    const r = await runCli(['serve', 'origin', '--port', '0'], 15_000, { [INJECT_CPU_ENV]: 'fast' });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${INJECT_CPU_ENV} must be a number of µs from 0 to 100000, got 'fast'`);
  });
});
