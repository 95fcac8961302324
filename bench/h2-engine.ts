/**
 * The h2 engine against h2load, on the same server, the same pinned cores, the same connections and
 * concurrency: the server on core 0, the generator (h2load, or this process running the engine) on core 1,
 * a 64-byte reply, closed loop. Two servers: nghttpd serving a static file (fast C: shows the generator's
 * own limit) and a node:http2 server in a child process (the server is the bottleneck: both generators
 * should come out close). Prints JSON: requests/s of each, the engine/h2load ratio, latency, and the CPU
 * share of the generator and the server. A trial where a generator used ≥ 90 % of its core is flagged
 * generatorBound.
 *
 *   node bin/run-ts.js bench/h2-engine.ts [--duration-ms 5000] [--warmup-ms 1000] [--trials 3]
 *                                         [--points 4x50,1x100] [--servers nghttpd,node] [--check-body]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startNghttpd } from '../src/load/h2/nghttpd.ts';
import { h2Requester } from '../src/load/h2/requester.ts';
import { runPaced } from '../src/load/pacing.ts';
import { cpuShare, type ProcSample, sampleProcess } from '../src/measure/resources.ts';
import { pinnedCommand, pinSelf } from '../src/os/cpus.ts';
import { superviseCommand } from '../src/run/supervise.ts';
import { environment, median, ROOT, writeBenchResult } from './lib.ts';

const REPLY_BYTES = 64;
const REPLY = Buffer.alloc(REPLY_BYTES, 0x61);
const SERVER_CPU = '0';
const GENERATOR_CPU = '1';
const GENERATOR_BOUND_SHARE = 0.9;

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    trials: { type: 'string', default: '3' },
    points: { type: 'string', default: '4x50,1x100' },
    servers: { type: 'string', default: 'nghttpd,node' },
    'check-body': { type: 'boolean', default: false },
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
  const pinned = pinSelf(GENERATOR_CPU);
  const htdocs = mkdtempSync(join(tmpdir(), 'muxbench-h2-engine-'));
  writeFileSync(join(htdocs, 'reply.bin'), REPLY);

  const results = [];
  try {
    for (const serverName of values.servers.split(',')) {
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
  });
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

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function fmtShare(x: number | null): string {
  return x === null ? '?' : `${Math.round(x * 100)}%`;
}
