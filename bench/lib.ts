/** What the benchmark scripts share: the environment they ran in, medians, and where results go. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, type as osType } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { micros } from '../src/report/format.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function environment(extra: Record<string, unknown> = {}) {
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    os: `${osType()} ${release()}`,
    commit,
    date: new Date().toISOString(),
    ...extra,
  };
}

export { median } from '../src/measure/stats.ts';

/** Prints the result as JSON on stdout and keeps a copy under reports/bench/. */
export function writeBenchResult(name: string, result: unknown): void {
  const json = JSON.stringify(result, null, 2);
  process.stdout.write(`${json}\n`);
  const dir = join(ROOT, 'reports', 'bench');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${json}\n`);
}

export interface H2loadPoint {
  concurrency: number;
  medianRequestsPerSec: number;
  medianP50Us: number;
  medianP99Us: number;
  /** requests per second of CPU used by the system's processes: steadier than req/s on a shared core */
  medianRequestsPerCpuSecond: number;
  trials: { requestsPerSec: number; p50Us: number; p99Us: number; succeeded: number; failed: number; systemCpu: number }[];
}

/**
 * `trials` h2load runs (10 connections, concurrency spread over them) against `url`, with the CPU the
 * system's processes used in each; medians over trials.
 */
/**
 * h2load connections for `concurrency` streams in flight: 10, or one per 100 streams when that is more —
 * the tunnels' public side advertises 100 concurrent streams per connection, and h2load opens no more
 * than a server allows, so fewer connections would quietly cap what is in flight.
 */
export function h2loadClients(concurrency: number): number {
  return Math.max(10, Math.ceil(concurrency / 100));
}

export async function h2loadPoint(
  label: string,
  url: string,
  pids: number[],
  concurrency: number,
  o: { trials: number; durationMs: number; warmupMs: number; loadCpu: string; rpsPerClient?: number },
): Promise<H2loadPoint> {
  const { runH2load } = await import('../src/load/h2load.ts');
  const { cpuShare, sampleProcess } = await import('../src/measure/resources.ts');
  const { median } = await import('../src/measure/stats.ts');
  const clients = h2loadClients(concurrency);
  const trials: H2loadPoint['trials'] = [];
  for (let t = 0; t < o.trials; t++) {
    const before = pids.map((p) => sampleProcess(p));
    const r = await runH2load({
      url,
      clients,
      streamsPerClient: Math.ceil(concurrency / clients),
      durationMs: o.durationMs,
      warmupMs: o.warmupMs,
      cpu: o.loadCpu,
      rpsPerClient: o.rpsPerClient,
    });
    const after = pids.map((p) => sampleProcess(p));
    const cpu = before.reduce((sum, b, i) => sum + (b && after[i] ? cpuShare(b, after[i]!) : 0), 0);
    const failed = r.failed + r.errored + r.timeout;
    trials.push({
      requestsPerSec: Math.round(r.requestsPerSec),
      p50Us: r.latency.p50Us,
      p99Us: r.latency.p99Us,
      succeeded: r.succeeded,
      failed,
      systemCpu: Math.round(cpu * 100) / 100,
    });
    process.stderr.write(
      `${label} @ ${concurrency}: ${Math.round(r.requestsPerSec).toLocaleString('en-US')} req/s, p99 ${micros(r.latency.p99Us)}, ${failed} failed\n`,
    );
  }
  return {
    concurrency,
    medianRequestsPerSec: median(trials.map((r) => r.requestsPerSec)),
    medianP50Us: median(trials.map((r) => r.p50Us)),
    medianP99Us: median(trials.map((r) => r.p99Us)),
    medianRequestsPerCpuSecond: median(trials.map((r) => Math.round(r.requestsPerSec / Math.max(0.01, r.systemCpu)))),
    trials,
  };
}
