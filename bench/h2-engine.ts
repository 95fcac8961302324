/**
 * The h2 engine against h2load, on the same server, the same pinned cores, the same connections and
 * concurrency: the server on core 0, the generator (h2load, or this process running the engine) on core 1,
 * a 64-byte reply, closed loop. Two servers: nghttpd serving a static file (fast C: shows the generator's
 * own limit) and a node:http2 server in a child process (the server is the bottleneck: both generators
 * should come out close). Prints JSON: requests/s of each, the engine/h2load ratio, latency, and the CPU
 * share of the generator and the server. A trial where a generator used ≥ 90 % of its core is flagged
 * generatorBound.
 *
 * Also `workerScaling` (issue 15, measured first): the engine's load split over N `muxbench load-worker`
 * processes (run/load-workers.ts), each pinned to a core of the load set — every core but the server's —
 * for each server and point: req/s, latency, each worker's CPU, how busy the load cores were, the ratio to
 * one worker, and a note saying whether that ratio is scaling at all. Where the load set has fewer cores
 * than N, workers share a core and cannot scale (on 2 cores the load set is core 1 alone); the note says so
 * rather than let a ratio pass for scaling. `--workers` defaults to 1, 2, then doubling up to the load
 * set's core count, and that count; 1 is always measured (the baseline); `--workers ''` skips the section.
 *
 *   node bin/run-ts.js bench/h2-engine.ts [--duration-ms 5000] [--warmup-ms 1000] [--trials 3]
 *                                         [--points 4x50,1x100] [--servers nghttpd,node] [--check-body]
 *                                         [--workers 1,2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startNghttpd } from '../src/load/h2/nghttpd.ts';
import type { EngineSpec } from '../src/load/engine.ts';
import { h2Requester } from '../src/load/h2/requester.ts';
import type { PacedResult, WarmupResult } from '../src/load/loop.ts';
import { runPaced } from '../src/load/pacing.ts';
import { connectionsOf, splitLoad, splitProblem } from '../src/load/split.ts';
import type { LoadModel } from '../src/load/types.ts';
import { cpuShare, type ProcSample, sampleProcess } from '../src/measure/resources.ts';
import { DEFAULT_STEADY_POLICY } from '../src/measure/steady.ts';
import { type CpuSet, coreCount, coresText, formatCpuSet, parseCpuSet, pinnedCommand, pinSelf, tasksetAvailable, usableCores } from '../src/os/cpus.ts';
import { LoadWorkers, workerCpus } from '../src/run/load-workers.ts';
import { superviseCommand } from '../src/run/supervise.ts';
import { patternBytes } from '../src/wire/payload.ts';
import { environment, median, ROOT, writeBenchResult } from './lib.ts';

const REPLY_BYTES = 64;
/** the byte pattern, so that load workers (which take a body check without bytes) can check it too */
const REPLY = Buffer.from(patternBytes(REPLY_BYTES));
const SERVER_CPU = '0';
const GENERATOR_CPU = '1';
const GENERATOR_BOUND_SHARE = 0.9;
/**
 * a core busier than its own processes by this share ran something else: the kernel's loopback work
 * that no process is charged for comes to ~5 % here, another process's load to far more
 */
const OTHER_WORK_SHARE = 0.2;
/** a load worker's warm-up ends when its rate is steady, or here (the point is then marked not steady) */
const WORKER_WARMUP_MAX_MS = 15_000;

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    trials: { type: 'string', default: '3' },
    points: { type: 'string', default: '4x50,1x100' },
    servers: { type: 'string', default: 'nghttpd,node' },
    'check-body': { type: 'boolean', default: false },
    workers: { type: 'string' },
    'node-server': { type: 'boolean', default: false },
  },
});
const checkBody = values['check-body'];

if (values['node-server']) {
  await serveNodeH2c();
} else {
  await main();
}

/** The Node server child: node:http2's core API (no compat layer), 64 bytes per request. */
async function serveNodeH2c(): Promise<void> {
  const body = REPLY;
  const server = createServer({ maxSessionMemory: 64 });
  server.on('stream', (stream) => {
    stream.on('error', () => {});
    stream.respond({ ':status': 200, 'content-type': 'application/octet-stream', 'content-length': REPLY_BYTES });
    stream.end(body);
  });
  server.on('sessionError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ event: 'ready', system: 'node-h2c', urls: { http: `http://127.0.0.1:${port}` } })}\n`);
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

interface Trial {
  requestsPerSec: number;
  /** h2load reports min/mean/max only; the engine adds percentiles */
  latency: { meanUs: number; p50Us?: number; p99Us?: number; maxUs: number };
  errors: Record<string, number> | { failed: number; errored: number; timeout: number };
  generatorCpu: number | null;
  /** generator CPU time per request: what each generator would cost if the server were infinitely fast */
  generatorCpuUsPerRequest: number | null;
  serverCpu: number | null;
  generatorBound: boolean;
}

async function main(): Promise<void> {
  const durationMs = Number(values['duration-ms']);
  const warmupMs = Number(values['warmup-ms']);
  const trials = Number(values.trials);
  const points = values.points.split(',').map((p) => {
    const [c, m] = p.split('x').map(Number);
    if (!(c! >= 1 && m! >= 1)) throw new Error(`--points: '${p}' is not CxM (connections x streams per connection)`);
    return { connections: c!, streams: m! };
  });
  const servers = values.servers.split(',');
  // The worker section runs first, on servers started afresh for it, before this process pins itself to the
  // generator's core for the single-process comparison below.
  const placement = loadPlacement();
  const workerCounts = parseWorkerCounts(values.workers, placement.loadCores);
  for (const point of points) {
    for (const n of workerCounts) {
      const problem = splitProblem({ kind: 'closed', concurrency: point.connections * point.streams }, n);
      if (problem) throw new Error(`--workers: ${point.connections}x${point.streams}: ${problem}`);
    }
  }
  const htdocs = mkdtempSync(join(tmpdir(), 'muxbench-h2-engine-'));
  writeFileSync(join(htdocs, 'reply.bin'), REPLY);

  const results = [];
  let workerScaling: WorkerScaling | null = null;
  let pinned = false;
  try {
    if (workerCounts.length > 0) workerScaling = await measureWorkerScaling(servers, points, workerCounts, placement, htdocs, { durationMs, warmupMs, trials });
    pinned = pinSelf(GENERATOR_CPU);
    for (const serverName of servers) {
      const server = await startServer(serverName, htdocs);
      try {
        for (const point of points) {
          const h2loadRuns: Trial[] = [];
          const engineRuns: Trial[] = [];
          for (let t = 0; t < trials; t++) {
            // alternate the order so a drifting machine does not favour one generator
            const order = t % 2 === 0 ? ['h2load', 'engine'] : ['engine', 'h2load'];
            for (const gen of order) {
              const run =
                gen === 'h2load'
                  ? await runH2load(server.url, server.pid, point.connections, point.streams, durationMs, warmupMs)
                  : await runEngine(server.url, server.pid, point.connections, point.streams, durationMs, warmupMs);
              (gen === 'h2load' ? h2loadRuns : engineRuns).push(run);
              process.stderr.write(
                `${serverName} ${point.connections}x${point.streams} trial ${t + 1}/${trials} ${gen.padEnd(6)}: ` +
                  `${Math.round(run.requestsPerSec).toLocaleString('en-US').padStart(9)} req/s  ` +
                  `generator CPU ${fmtShare(run.generatorCpu)}  server CPU ${fmtShare(run.serverCpu)}\n`,
              );
            }
          }
          const h2loadRps = median(h2loadRuns.map((r) => r.requestsPerSec));
          const engineRps = median(engineRuns.map((r) => r.requestsPerSec));
          results.push({
            server: serverName,
            connections: point.connections,
            streamsPerConnection: point.streams,
            concurrency: point.connections * point.streams,
            h2load: summary(h2loadRuns),
            engine: summary(engineRuns),
            ratio: Math.round((engineRps / h2loadRps) * 1000) / 1000,
          });
        }
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(htdocs, { recursive: true, force: true });
  }

  writeBenchResult('h2-engine', {
    bench: 'h2-engine',
    environment: environment({ pinned, serverCpu: SERVER_CPU, generatorCpu: GENERATOR_CPU }),
    durationMs,
    warmupMs,
    trials,
    replyBytes: REPLY_BYTES,
    engineChecksBody: checkBody,
    results,
    workerScaling,
  });
}

/** Where load workers run: every core but the server's, when this machine can pin and has a core to spare. */
interface LoadPlacement {
  cores: number;
  /** undefined: the workers are not pinned */
  loadCpu: CpuSet | undefined;
  loadCores: number;
  /** the load set's cores, to tell how busy they were whoever used them (empty: not pinned) */
  loadCoreList: number[];
  serverCoreList: number[];
}

function loadPlacement(): LoadPlacement {
  const cores = coreCount();
  const serverCoreList = parseCpuSet(SERVER_CPU);
  const load = usableCores().filter((c) => !serverCoreList.includes(c));
  if (!tasksetAvailable() || load.length === 0) return { cores, loadCpu: undefined, loadCores: cores, loadCoreList: [], serverCoreList: [] };
  return { cores, loadCpu: formatCpuSet(load), loadCores: load.length, loadCoreList: load, serverCoreList };
}

/** `--workers 1,2`; by default 1, 2, then doubling up to the load set's cores, and that count itself. */
function parseWorkerCounts(text: string | undefined, loadCores: number): number[] {
  const counts = new Set<number>([1]);
  if (text === undefined) {
    counts.add(2);
    for (let n = 4; n <= loadCores; n *= 2) counts.add(n);
    counts.add(Math.max(1, loadCores));
  } else {
    if (text.trim() === '') return [];
    for (const part of text.split(',')) {
      const n = Number(part);
      if (!Number.isInteger(n) || n < 1) throw new Error(`--workers: '${part}' is not a whole number ≥ 1 (e.g. --workers 1,2,4)`);
      counts.add(n);
    }
  }
  return [...counts].sort((a, b) => a - b);
}

interface WorkerTrial {
  requestsPerSec: number;
  latency: { meanUs: number; p50Us: number; p99Us: number; maxUs: number };
  errors: Record<string, number>;
  /** each worker's part (one worker: the trial itself) */
  workers: { cpu: CpuSet | null; requests: number; requestsPerSec: number; generatorCpu: number; p50Us: number; p99Us: number }[];
  serverCpu: number | null;
  /**
   * share of the load set's cores busy over the window, whoever used them: the workers, the kernel's
   * loopback work (not all of it charged to any process) and anything else running on the machine
   */
  loadCoresBusy: number | null;
  /** the same for the server's cores: the server and the kernel's work for it */
  serverCoresBusy: number | null;
  generatorBound: boolean;
}

interface WorkerPoint {
  workers: number;
  workerCpus: (CpuSet | null)[];
  /** each worker's share of the point (load/split.ts): a point of fewer connections than workers opens one per worker */
  loadPerWorker: { connections: number; concurrency: number }[];
  connectionsOpened: number;
  steady: boolean;
  warmupMs: number;
  medianRequestsPerSec: number;
  medianMeanLatencyUs: number;
  medianP50Us: number;
  medianP99Us: number;
  /** req/s × mean latency: should come out at the point's concurrency (Little's law) */
  inFlightByLittlesLaw: number;
  /** each worker's median share of one core */
  workerGeneratorCpu: number[];
  /** the workers' CPU added up, in cores */
  generatorCpuTotal: number;
  /** the workers' CPU per request, µs: what the generator costs, whoever was the limit */
  generatorCpuUsPerRequest: number | null;
  /** the server's CPU per request, µs: it moves with how the load arrives (batching), not only with the server */
  serverCpuUsPerRequest: number | null;
  medianServerCpu: number | null;
  medianLoadCoresBusy: number | null;
  medianServerCoresBusy: number | null;
  /**
   * the load cores or the server's core were busier than their own processes by ≥ OTHER_WORK_SHARE: other
   * work ran there (another process: a shared machine), and the figures are suspect
   */
  otherWorkSeen: boolean;
  /** any worker used ≥ 90 % of its core */
  generatorBound: boolean;
  /** median req/s over one worker's */
  scaling: number;
  scalingNote: string;
  trials: WorkerTrial[];
}

interface WorkerScaling {
  cores: number;
  serverCpu: CpuSet;
  loadCpu: CpuSet | null;
  loadCores: number;
  workerCounts: number[];
  note: string;
  results: { server: string; connections: number; streamsPerConnection: number; concurrency: number; byWorkers: WorkerPoint[] }[];
}

/** The worker-scaling section: every server (started afresh), point and worker count; see the header. */
async function measureWorkerScaling(
  servers: string[],
  points: { connections: number; streams: number }[],
  workerCounts: number[],
  placement: LoadPlacement,
  htdocs: string,
  o: { durationMs: number; warmupMs: number; trials: number },
): Promise<WorkerScaling> {
  const results: WorkerScaling['results'] = [];
  for (const serverName of servers) {
    const server = await startServer(serverName, htdocs);
    try {
      for (const point of points) {
        const byWorkers: WorkerPoint[] = [];
        for (const n of workerCounts) {
          const p = await measureWorkers(serverName, server, point, n, placement, o);
          byWorkers.push(p);
          const base = byWorkers[0]!;
          p.scaling = Math.round((p.medianRequestsPerSec / base.medianRequestsPerSec) * 1000) / 1000;
          p.scalingNote = scalingNote(p, base, placement);
        }
        results.push({
          server: serverName,
          connections: point.connections,
          streamsPerConnection: point.streams,
          concurrency: point.connections * point.streams,
          byWorkers,
        });
      }
    } finally {
      await server.stop();
    }
  }
  const { cores, loadCpu, loadCores } = placement;
  const note =
    loadCpu === undefined
      ? `load workers not pinned (no taskset, or no core besides the server's ${coresText(SERVER_CPU)}): ratios cannot be read as scaling`
      : `${cores} cores: the server on ${coresText(SERVER_CPU)}, load workers on ${coresText(loadCpu)}; ` +
        (loadCores === 1 ? 'one worker has that core, more share it and cannot scale' : `up to ${loadCores} workers get a core each, more share them`);
  return { cores, serverCpu: SERVER_CPU, loadCpu: loadCpu ?? null, loadCores, workerCounts, note, results };
}

/** One point from `n` load workers: a warm-up until steady, then `trials` windows back to back. */
async function measureWorkers(
  serverName: string,
  server: { url: string; pid: number },
  point: { connections: number; streams: number },
  n: number,
  placement: LoadPlacement,
  o: { durationMs: number; warmupMs: number; trials: number },
): Promise<WorkerPoint> {
  const u = new URL(server.url);
  const spec: EngineSpec = {
    protocol: 'http2',
    engine: 'default',
    url: u.origin,
    method: 'GET',
    path: u.pathname,
    bodyBytes: 0,
    expectStatus: 200,
    expectBody: checkBody ? { kind: 'pattern', length: REPLY_BYTES } : { kind: 'none' },
    connections: point.connections,
  };
  const model: LoadModel = { kind: 'closed', concurrency: point.connections * point.streams };
  const shares = splitLoad(spec, model, n).map((s) => ({
    connections: connectionsOf(s.spec),
    concurrency: s.model.kind === 'closed' ? s.model.concurrency : 0,
  }));
  const cpus = workerCpus(placement.loadCpu, n).map((c) => c ?? null);
  const label = `${serverName} ${point.connections}x${point.streams} ${n} worker${n === 1 ? ' ' : 's'}`;
  const runs: WorkerTrial[] = [];
  const gang = await LoadWorkers.open(spec, model, n, placement.loadCpu);
  let warm: WarmupResult | null;
  try {
    warm = await gang.warmUp({ ...DEFAULT_STEADY_POLICY, minMs: o.warmupMs, maxMs: Math.max(o.warmupMs, WORKER_WARMUP_MAX_MS) });
    if (warm && !warm.steady) process.stderr.write(`${label}: not steady after ${warm.elapsedMs} ms of warm-up, measuring anyway\n`);
    for (let t = 0; t < o.trials; t++) {
      let s0: ProcSample | null = null;
      let s1: ProcSample | null = null;
      let c0: CoreSample | null = null;
      let c1: CoreSample | null = null;
      const r = await gang.trial(o.durationMs, {
        onOpen: () => {
          s0 = sampleProcess(server.pid);
          c0 = sampleCores();
        },
        onClose: () => {
          s1 = sampleProcess(server.pid);
          c1 = sampleCores();
        },
      });
      if (Object.keys(r.errors).length === 0 && r.bytesIn !== r.requests * REPLY_BYTES) {
        throw new Error(`${label}: ${r.bytesIn} body bytes for ${r.requests} replies of ${REPLY_BYTES}`);
      }
      const run = workerTrial(r, cpus, {
        serverCpu: s0 && s1 ? round2(cpuShare(s0, s1)) : null,
        loadCoresBusy: c0 && c1 ? coresBusy(c0, c1, placement.loadCoreList) : null,
        serverCoresBusy: c0 && c1 ? coresBusy(c0, c1, placement.serverCoreList) : null,
      });
      runs.push(run);
      process.stderr.write(
        `${label} trial ${t + 1}/${o.trials}: ${Math.round(run.requestsPerSec).toLocaleString('en-US').padStart(9)} req/s  ` +
          `worker CPU ${run.workers.map((w) => fmtShare(w.generatorCpu)).join(' ')} (load cores ${fmtShare(run.loadCoresBusy)} busy)  ` +
          `server CPU ${fmtShare(run.serverCpu)} (its core ${fmtShare(run.serverCoresBusy)} busy)\n`,
      );
    }
  } finally {
    await gang.close();
  }
  const rps = Math.round(median(runs.map((r) => r.requestsPerSec)));
  const meanUs = Math.round(median(runs.map((r) => r.latency.meanUs)));
  const workerCpu = cpus.map((_, i) => round2(median(runs.map((r) => r.workers[i]?.generatorCpu ?? 0))));
  const medianOf = (xs: (number | null)[]): number | null => {
    const known = xs.filter((x): x is number => x !== null);
    return known.length > 0 ? round2(median(known)) : null;
  };
  const serverCpu = medianOf(runs.map((r) => r.serverCpu));
  const cpuTotal = workerCpu.reduce((a, b) => a + b, 0);
  return {
    workers: n,
    workerCpus: cpus,
    loadPerWorker: shares,
    connectionsOpened: shares.reduce((sum, s) => sum + s.connections, 0),
    steady: warm?.steady ?? false,
    warmupMs: warm?.elapsedMs ?? 0,
    medianRequestsPerSec: rps,
    medianMeanLatencyUs: meanUs,
    medianP50Us: Math.round(median(runs.map((r) => r.latency.p50Us))),
    medianP99Us: Math.round(median(runs.map((r) => r.latency.p99Us))),
    inFlightByLittlesLaw: Math.round(rps * (meanUs / 1e6) * 10) / 10,
    workerGeneratorCpu: workerCpu,
    generatorCpuTotal: round2(cpuTotal),
    generatorCpuUsPerRequest: perRequestUs(cpuTotal, rps),
    serverCpuUsPerRequest: serverCpu === null ? null : perRequestUs(serverCpu, rps),
    medianServerCpu: serverCpu,
    medianLoadCoresBusy: medianOf(runs.map((r) => r.loadCoresBusy)),
    medianServerCoresBusy: medianOf(runs.map((r) => r.serverCoresBusy)),
    otherWorkSeen: runs.some(
      (r) =>
        (r.loadCoresBusy !== null &&
          r.loadCoresBusy - r.workers.reduce((a, w) => a + w.generatorCpu, 0) / Math.max(1, placement.loadCores) >= OTHER_WORK_SHARE) ||
        (r.serverCoresBusy !== null && r.serverCpu !== null && r.serverCoresBusy - r.serverCpu >= OTHER_WORK_SHARE),
    ),
    generatorBound: runs.some((r) => r.generatorBound),
    scaling: 1,
    scalingNote: '',
    trials: runs,
  };
}

function workerTrial(r: PacedResult, cpus: (CpuSet | null)[], usage: Pick<WorkerTrial, 'serverCpu' | 'loadCoresBusy' | 'serverCoresBusy'>): WorkerTrial {
  // one worker is the plain engine: its result has no `workers`, it is the one worker's share
  const shares = r.workers ?? [
    { requests: r.requests, requestsPerSec: r.requestsPerSec, generatorCpu: r.generatorCpu, p50Us: r.latency.p50Us, p99Us: r.latency.p99Us },
  ];
  const workers = shares.map((w, i) => ({
    cpu: cpus[i] ?? null,
    requests: w.requests,
    requestsPerSec: Math.round(w.requestsPerSec),
    generatorCpu: round2(w.generatorCpu),
    p50Us: w.p50Us,
    p99Us: w.p99Us,
  }));
  return {
    requestsPerSec: Math.round(r.requestsPerSec),
    latency: { meanUs: Math.round(r.latency.meanUs), p50Us: r.latency.p50Us, p99Us: r.latency.p99Us, maxUs: r.latency.maxUs },
    errors: r.errors,
    workers,
    ...usage,
    generatorBound: workers.some((w) => w.generatorCpu >= GENERATOR_BOUND_SHARE),
  };
}

/**
 * What a worker count's figure means here: one worker is the baseline; more workers than the load set has
 * cores take turns on a core (the ratio is the cost of splitting, not scaling); otherwise each worker has a
 * core, and a ratio short of N is put down to what limited it (the server, or a generator that was not the limit).
 */
function scalingNote(p: WorkerPoint, base: WorkerPoint, placement: LoadPlacement): string {
  const { cores, loadCpu, loadCores } = placement;
  // the server's core counts too: the kernel's loopback work for the server runs there, charged to no process
  // (unless other work filled it: then only the server's own CPU says whether it was full)
  const serverFull = Math.max(p.medianServerCpu ?? 0, p.otherWorkSeen ? 0 : (p.medianServerCoresBusy ?? 0)) >= GENERATOR_BOUND_SHARE;
  const serverLimit = serverFull
    ? ` The server's ${coresText(SERVER_CPU)} was ${fmtShare(p.medianServerCoresBusy)} busy (the server itself ${fmtShare(p.medianServerCpu)}): the server side is the limit here.`
    : '';
  const busy = p.medianLoadCoresBusy === null ? '' : `; the load set was ${fmtShare(p.medianLoadCoresBusy)} busy in all, kernel and any other process included`;
  const suspect = p.otherWorkSeen
    ? ` Suspect: the cores were busier than the workers and the server account for (load set ${fmtShare(p.medianLoadCoresBusy)} busy, ` +
      `server's core ${fmtShare(p.medianServerCoresBusy)}): other work ran on them; repeat on a quiet machine.`
    : base.otherWorkSeen
      ? ' Suspect: other work ran on the cores during the one-worker baseline, so the ratio is too; repeat on a quiet machine.'
      : '';
  if (loadCpu === undefined) {
    return `${p.workers} unpinned worker(s): the OS places them on any of ${cores} cores, the server's included, so ×${p.scaling} cannot be read as scaling.`;
  }
  if (p.workers === 1) {
    const bound = p.generatorBound ? 'generator-bound: the one worker is the limit' : 'not generator-bound';
    return `Baseline: one load-worker process on ${coresText(p.workerCpus[0] ?? loadCpu)}, ${bound} (${fmtShare(p.workerGeneratorCpu[0]!)} of its core${busy}).${serverLimit}${suspect}`;
  }
  if (p.workers > loadCores) {
    const where = loadCores === 1 ? `the one core of the load set (${coresText(loadCpu)})` : `the ${loadCores} cores of the load set (${coresText(loadCpu)})`;
    const ratio = sharedCoreRatio(p, base, serverFull);
    return (
      `Cannot scale on this machine: it has ${cores} cores and ${coresText(SERVER_CPU)} runs the server, so the ${p.workers} workers share ${where} ` +
      `and take turns on it instead of adding CPU. ${ratio} Together the workers used ${fmtShare(p.generatorCpuTotal)} of a core${busy}` +
      (p.generatorBound ? '' : `; no one worker reaches ${fmtShare(GENERATOR_BOUND_SHARE)} of a core it shares, so generatorBound says nothing here`) +
      `.${serverLimit} On a machine with ≥ ${p.workers + 1} cores each worker gets its own core.${suspect}`
    );
  }
  const own = `${p.workers} workers, each on its own core (${p.workerCpus.join(', ')}): ×${p.scaling} against one worker.`;
  if (p.scaling >= 0.9 * p.workers) return `${own} Near-linear: the generator was the limit and each worker added a core.${suspect}`;
  if (serverFull) return `${own}${serverLimit} More generators cannot raise the rate.${suspect}`;
  if (!base.generatorBound) {
    return `${own} One worker was not generator-bound (${fmtShare(base.workerGeneratorCpu[0]!)} of its core), so the generator was not the limit to lift.${suspect}`;
  }
  return `${own} Less than ×${p.workers} though each worker has a core and the server is not full: see each worker's CPU.${suspect}`;
}

/**
 * What ×scaling means when the workers share the load set's cores: not scaling either way, so the note
 * says where a change came from — the workers' own cost, or the server's side (its CPU per request, or
 * how busy it was kept) — and calls anything else noise.
 */
function sharedCoreRatio(p: WorkerPoint, base: WorkerPoint, serverFull: boolean): string {
  const ratio = `×${p.scaling} against one worker`;
  const serverUs = p.serverCpuUsPerRequest;
  const baseServerUs = base.serverCpuUsPerRequest;
  const serverPerRequest = `the server spent ${fmtUs(serverUs)} of CPU per request against ${fmtUs(baseServerUs)} with one worker`;
  if (p.scaling < 0.95) {
    if (serverFull && serverUs !== null && baseServerUs !== null && serverUs > 1.1 * baseServerUs) {
      return `${ratio}, but the server was the limit and ${serverPerRequest}: the drop lies on the server side (how the load arrives, or noise), not in what the workers cost.`;
    }
    return (
      `${ratio} is what splitting the load over ${p.workers} processes costs on a shared core ` +
      `(${fmtUs(p.generatorCpuUsPerRequest)} of generator CPU per request against ${fmtUs(base.generatorCpuUsPerRequest)} with one).`
    );
  }
  if (p.scaling <= 1.05) return `${ratio}: splitting costs little here, and gains nothing.`;
  const notCpu = `${ratio} did not come from more generator CPU, which workers sharing a core do not have`;
  if (serverUs !== null && baseServerUs !== null && serverUs < 0.9 * baseServerUs) {
    return `${notCpu}: ${serverPerRequest} (the load arrived in other batches), so it answered more for the same CPU.`;
  }
  if (p.medianServerCpu !== null && base.medianServerCpu !== null && p.medianServerCpu >= base.medianServerCpu + 0.05) {
    return (
      `${notCpu}: the server was kept busier (${fmtShare(p.medianServerCpu)} of its core against ${fmtShare(base.medianServerCpu)} with one worker, ` +
      `for about the same CPU per request): one worker left it idle gaps that ${p.workers} workers taking turns fill, though they add no CPU.`
    );
  }
  return `${notCpu}: it is noise or a change on the server side; repeat the run.`;
}

/** Busy and total time of each core since boot, from /proc/stat (null where there is none). */
type CoreSample = Map<number, { busy: number; total: number }>;

function sampleCores(): CoreSample | null {
  try {
    const out: CoreSample = new Map();
    for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+)\s+(.*)$/.exec(line);
      if (!m) continue;
      // user nice system idle iowait irq softirq steal: idle and iowait are the core's free time
      const t = m[2]!.trim().split(/\s+/).slice(0, 8).map(Number);
      const total = t.reduce((a, b) => a + b, 0);
      out.set(Number(m[1]), { busy: total - t[3]! - t[4]!, total });
    }
    return out;
  } catch {
    return null;
  }
}

/** The mean busy share of `cores` between two samples. */
function coresBusy(before: CoreSample, after: CoreSample, cores: number[]): number | null {
  const shares = cores.flatMap((c) => {
    const a = before.get(c);
    const b = after.get(c);
    return a && b && b.total > a.total ? [(b.busy - a.busy) / (b.total - a.total)] : [];
  });
  return shares.length > 0 ? round2(shares.reduce((x, y) => x + y, 0) / shares.length) : null;
}

function summary(runs: Trial[]) {
  const cpuPerRequest = runs.map((r) => r.generatorCpuUsPerRequest).filter((x): x is number => x !== null);
  return {
    medianRequestsPerSec: Math.round(median(runs.map((r) => r.requestsPerSec))),
    medianMeanLatencyUs: Math.round(median(runs.map((r) => r.latency.meanUs))),
    medianGeneratorCpuUsPerRequest: cpuPerRequest.length > 0 ? round2(median(cpuPerRequest)) : null,
    generatorBound: runs.some((r) => r.generatorBound),
    trials: runs,
  };
}

async function startServer(name: string, htdocs: string): Promise<{ url: string; pid: number; stop(): Promise<unknown> }> {
  if (name === 'nghttpd') {
    const n = await startNghttpd({ htdocs, cpu: SERVER_CPU });
    return { url: `${n.url}/reply.bin`, pid: n.pid, stop: n.stop };
  }
  if (name === 'node') {
    const self = fileURLToPath(import.meta.url);
    const s = await superviseCommand([process.execPath, join(ROOT, 'bin/run-ts.js'), self, '--node-server'], { cpu: SERVER_CPU });
    return { url: `${s.ready.urls.http!}/reply`, pid: s.pid, stop: () => s.stop() };
  }
  throw new Error(`--servers: unknown server '${name}' (nghttpd, node)`);
}

async function runEngine(url: string, serverPid: number, connections: number, streams: number, durationMs: number, warmupMs: number): Promise<Trial> {
  const u = new URL(url);
  const requester = h2Requester({
    url: u.origin,
    connections,
    streamsPerConnection: streams,
    method: 'GET',
    path: u.pathname,
    // h2load checks only the status; --check-body makes the engine compare every reply byte for byte too
    expect: { status: 200, ...(checkBody ? { body: { exact: REPLY } } : {}) },
  });
  let s0: ProcSample | null = null;
  const t0 = setTimeout(() => (s0 = sampleProcess(serverPid)), warmupMs);
  const r = await runPaced(requester, { kind: 'closed', concurrency: connections * streams }, { warmupMs, durationMs });
  const s1 = sampleProcess(serverPid);
  clearTimeout(t0);
  await requester.close();
  if (Object.keys(r.errors).length === 0 && r.bytesIn !== r.requests * REPLY_BYTES) {
    throw new Error(`engine: ${r.bytesIn} body bytes for ${r.requests} replies of ${REPLY_BYTES}`);
  }
  return {
    requestsPerSec: Math.round(r.requestsPerSec),
    latency: { meanUs: r.latency.meanUs, p50Us: r.latency.p50Us, p99Us: r.latency.p99Us, maxUs: r.latency.maxUs },
    errors: r.errors,
    generatorCpu: round2(r.generatorCpu),
    generatorCpuUsPerRequest: perRequestUs(r.generatorCpu, r.requestsPerSec),
    serverCpu: s0 && s1 ? round2(cpuShare(s0, s1)) : null,
    generatorBound: r.generatorCpu >= GENERATOR_BOUND_SHARE,
  };
}

async function runH2load(url: string, serverPid: number, connections: number, streams: number, durationMs: number, warmupMs: number): Promise<Trial> {
  const argv = pinnedCommand(
    ['h2load', '-D', String(durationMs / 1000), '--warm-up-time', String(warmupMs / 1000), '-c', String(connections), '-m', String(streams), url],
    GENERATOR_CPU,
  );
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  // CPU of both sides over the measured window: sampled when the warm-up ends and again just before the end
  let h0: ProcSample | null = null;
  let s0: ProcSample | null = null;
  let h1: ProcSample | null = null;
  let s1: ProcSample | null = null;
  const t0 = setTimeout(() => {
    h0 = sampleProcess(child.pid!);
    s0 = sampleProcess(serverPid);
  }, warmupMs + 200);
  const t1 = setTimeout(
    () => {
      h1 = sampleProcess(child.pid!);
      s1 = sampleProcess(serverPid);
    },
    warmupMs + durationMs - 200,
  );
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(t0);
  clearTimeout(t1);
  if (code !== 0) throw new Error(`h2load exited with ${code}:\n${out}`);
  const rps = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(out);
  const req = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const lat = /time for request:\s+(\S+)\s+(\S+)\s+(\S+)/.exec(out);
  if (!rps || !req || !lat) throw new Error(`unexpected h2load output:\n${out}`);
  const generatorCpu = h0 && h1 ? cpuShare(h0, h1) : null;
  return {
    requestsPerSec: Math.round(Number(rps[1])),
    latency: { meanUs: toUs(lat[3]!), maxUs: toUs(lat[2]!) },
    errors: { failed: Number(req[3]), errored: Number(req[4]), timeout: Number(req[5]) },
    generatorCpu: generatorCpu === null ? null : round2(generatorCpu),
    generatorCpuUsPerRequest: generatorCpu === null ? null : perRequestUs(generatorCpu, Number(rps[1])),
    serverCpu: s0 && s1 ? round2(cpuShare(s0, s1)) : null,
    generatorBound: generatorCpu !== null && generatorCpu >= GENERATOR_BOUND_SHARE,
  };
}

/** h2load prints durations as 145us, 3.63ms or 1.2s. */
function toUs(s: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(s);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return Math.round(m[2] === 'us' ? n : m[2] === 'ms' ? n * 1000 : n * 1_000_000);
}

function perRequestUs(cpuShare: number, requestsPerSec: number): number | null {
  return requestsPerSec > 0 ? round2((cpuShare * 1e6) / requestsPerSec) : null;
}

function fmtUs(x: number | null): string {
  return x === null ? '?' : `${x} µs`;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmtShare(x: number | null): string {
  return x === null ? '?' : `${Math.round(x * 100)}%`;
}
