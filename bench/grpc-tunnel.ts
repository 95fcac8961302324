/**
 * The grpc-stream tunnel next to the h2-stream tunnel, in one run on the same cores (every process of the
 * system under test on core 0, h2load on core 1):
 *
 *  - requests/s and p50/p99 at concurrency 100, 500 and 2000 (h2load, 10 connections or one per 100 streams,
 *    the edge's public stream limit, whichever is more) for the h2 tunnel with
 *    its stream limit of 100 and unlimited, and the grpc tunnel batched (default) and unbatched
 *    (--batch-bytes 0: one TunnelMessage per gRPC message), both on its default raw link stack, and
 *    batched on the grpc-js link stack (--link-stack grpc-js: what the HTTP/2 stack alone costs);
 *  - peak RSS per 1,000 requests in flight — the seed's memory claim — for the h2 tunnel (unlimited, so
 *    every request really is on the tunnel) and the grpc tunnel: N requests to /delay/5000 held open at
 *    once, edge + connector RSS sampled every 50 ms, the peak above the idle baseline of a fresh stack,
 *    and the marginal cost between the smallest and the largest hold (fixed first-burst growth removed).
 *
 *   node bin/run-ts.js bench/grpc-tunnel.ts [--duration-ms 5000] [--warmup-ms 1000] [--trials 3] [--path /bytes/64]
 *                                            [--concurrency 100,500,2000] [--hold 1000,5000] [--hold-ms 5000]
 */
import { execFile } from 'node:child_process';
import { parseArgs } from 'node:util';
import { sampleProcess } from '../src/measure/resources.ts';
import { pinnedCommand } from '../src/os/cpus.ts';
import { type Stack, startTunnelStack, type TunnelStackOptions } from '../src/run/stacks.ts';
import { environment, type H2loadPoint, h2loadClients, h2loadPoint, median, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    trials: { type: 'string', default: '3' },
    path: { type: 'string', default: '/bytes/64' },
    concurrency: { type: 'string', default: '100,500,2000' },
    hold: { type: 'string', default: '1000,5000' },
    'hold-ms': { type: 'string', default: '5000' },
    'system-cpu': { type: 'string', default: '0' },
    'load-cpu': { type: 'string', default: '1' },
  },
});
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
const trials = Number(values.trials);
const systemCpu = values['system-cpu'];
const loadCpu = values['load-cpu'];
const path = values.path!;
const holds = values.hold!.split(',').map(Number);
const holdMs = Number(values['hold-ms']);
const CONCURRENCY = values.concurrency!.split(',').map(Number);
for (const n of [...CONCURRENCY, ...holds]) if (!(Number.isInteger(n) && n >= 1)) throw new Error(`--concurrency and --hold take whole numbers ≥ 1, got ${n}`);
const MiB = 1024 * 1024;

interface Design {
  name: string;
  stack: Pick<TunnelStackOptions, 'design' | 'connectorArgs' | 'edgeArgs'>;
}

const H2_LIMIT_100: Design = { name: 'h2 tunnel, limit 100', stack: { design: 'h2' } };
const H2_UNLIMITED: Design = { name: 'h2 tunnel, unlimited streams', stack: { design: 'h2', connectorArgs: ['--max-concurrent-streams', '0'] } };
const GRPC: Design = { name: 'grpc tunnel', stack: { design: 'grpc' } };
const GRPC_UNBATCHED: Design = {
  name: 'grpc tunnel, unbatched',
  stack: { design: 'grpc', connectorArgs: ['--batch-bytes', '0'], edgeArgs: ['--batch-bytes', '0'] },
};
const GRPC_JS: Design = {
  name: 'grpc tunnel, grpc-js link stack',
  stack: { design: 'grpc', connectorArgs: ['--link-stack', 'grpc-js'], edgeArgs: ['--link-stack', 'grpc-js'] },
};

function start(d: Design): Promise<Stack> {
  return startTunnelStack({ ...d.stack, cpus: { origin: systemCpu, edge: systemCpu, connector: systemCpu } });
}

function tunnelPids(s: Stack): number[] {
  return [s.processes.edge!.pid, s.processes.connector!.pid];
}

/** h2load -n N with N streams open at once (pinned to the load core); resolves its summary counts. */
function h2loadOnce(url: string, n: number): Promise<{ succeeded: number; failed: number }> {
  const clients = h2loadClients(n);
  const [cmd, ...args] = pinnedCommand(['h2load', '-n', String(n), '-c', String(clients), '-m', String(Math.ceil(n / clients)), url], loadCpu);
  return new Promise((resolve, reject) => {
    execFile(cmd!, args, { timeout: 120_000, maxBuffer: 16 * MiB }, (err, stdout) => {
      if (err) return reject(new Error(`h2load failed: ${err.message}`));
      const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(stdout);
      if (!m) return reject(new Error(`h2load printed no summary:\n${stdout}`));
      resolve({ succeeded: Number(m[1]), failed: Number(m[2]) + Number(m[3]) });
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// --- throughput -------------------------------------------------------------------------------------------

const throughput: ({ system: string } & H2loadPoint)[] = [];
for (const design of [H2_LIMIT_100, H2_UNLIMITED, GRPC, GRPC_UNBATCHED, GRPC_JS]) {
  const s = await start(design);
  const procs = Object.values(s.processes);
  try {
    for (const concurrency of CONCURRENCY) {
      const point = await h2loadPoint(
        design.name,
        `${s.urls.public}${path}`,
        procs.map((p) => p.pid),
        concurrency,
        { trials, durationMs, warmupMs, loadCpu },
      );
      throughput.push({ system: design.name, ...point });
    }
  } finally {
    await s.stop();
  }
}

// --- memory per request in flight ----------------------------------------------------------------------

const memory: {
  system: string;
  inFlight: number;
  /** edge + connector RSS of the fresh, warmed stack */
  baselineMiB: number;
  /** highest edge + connector RSS while the requests were held */
  peakMiB: number;
  mibPer1000InFlight: number;
  /** each process's own peak above its own baseline */
  edgeGrowthMiB: number;
  connectorGrowthMiB: number;
  succeeded: number;
  failed: number;
}[] = [];
for (const design of [H2_UNLIMITED, GRPC]) {
  for (const n of holds) {
    const s = await start(design);
    try {
      const pids = tunnelPids(s);
      // Warm both processes (JIT, first connections), let them settle, then take the idle baseline.
      await h2loadOnce(`${s.urls.public}/bytes/64`, 200);
      await sleep(500);
      const each = (): number[] => pids.map((pid) => sampleProcess(pid)?.rssBytes ?? 0);
      const samples = [each()];
      for (let i = 0; i < 2; i++) {
        await sleep(100);
        samples.push(each());
      }
      const base = pids.map((_, i) => median(samples.map((x) => x[i]!)));
      const baseline = base.reduce((a, b) => a + b, 0);
      let peak = baseline;
      const peaks = [...base];
      const sampler = setInterval(() => {
        const now = each();
        peak = Math.max(
          peak,
          now.reduce((a, b) => a + b, 0),
        );
        now.forEach((v, i) => {
          peaks[i] = Math.max(peaks[i]!, v);
        });
      }, 50);
      const r = await h2loadOnce(`${s.urls.public}/delay/${holdMs}`, n);
      clearInterval(sampler);
      const perThousand = ((peak - baseline) / n) * 1000;
      memory.push({
        system: design.name,
        inFlight: n,
        baselineMiB: round1(baseline / MiB),
        peakMiB: round1(peak / MiB),
        mibPer1000InFlight: round1(perThousand / MiB),
        edgeGrowthMiB: round1((peaks[0]! - base[0]!) / MiB),
        connectorGrowthMiB: round1((peaks[1]! - base[1]!) / MiB),
        succeeded: r.succeeded,
        failed: r.failed,
      });
      process.stderr.write(
        `${design.name}, ${n} in flight: edge+connector ${round1(baseline / MiB)} → ${round1(peak / MiB)} MiB, ${round1(perThousand / MiB)} MiB per 1,000 (${r.succeeded} ok, ${r.failed} failed)\n`,
      );
    } finally {
      await s.stop();
    }
  }
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Between the smallest and the largest hold, per 1,000 more requests: what each extra request in flight
 * costs, without the fixed growth any first burst causes (heap resizing, JIT, connection pools).
 */
const marginal = [H2_UNLIMITED, GRPC].map((d) => {
  const rows = memory.filter((m) => m.system === d.name).sort((a, b) => a.inFlight - b.inFlight);
  const lo = rows[0];
  const hi = rows[rows.length - 1];
  const mib =
    lo && hi && hi.inFlight > lo.inFlight ? round1(((hi.peakMiB - hi.baselineMiB - (lo.peakMiB - lo.baselineMiB)) / (hi.inFlight - lo.inFlight)) * 1000) : null;
  return { system: d.name, between: lo && hi ? [lo.inFlight, hi.inFlight] : [], marginalMiBPer1000InFlight: mib };
});

const at = (system: string, c: number) => throughput.find((r) => r.system === system && r.concurrency === c)?.medianRequestsPerSec ?? Number.NaN;
writeBenchResult('grpc-tunnel', {
  bench: 'grpc-tunnel',
  environment: environment({ pinned: `system (origin, edge, connector) on core ${systemCpu}, h2load on core ${loadCpu}` }),
  path,
  durationMs,
  warmupMs,
  holdMs,
  throughput,
  memory,
  marginal,
  ratios: CONCURRENCY.map((c) => ({
    concurrency: c,
    grpcVsH2Limit100: round2(at(GRPC.name, c) / at(H2_LIMIT_100.name, c)),
    grpcVsH2Unlimited: round2(at(GRPC.name, c) / at(H2_UNLIMITED.name, c)),
    grpcBatchedVsUnbatched: round2(at(GRPC.name, c) / at(GRPC_UNBATCHED.name, c)),
    /** the HTTP/2 stack's share of the gap: the same design on the raw stack and on grpc-js */
    grpcRawVsGrpcJs: round2(at(GRPC.name, c) / at(GRPC_JS.name, c)),
  })),
});

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
