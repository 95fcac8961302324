/**
 * h2load (Debian nghttp2-client) as an engine: a C load generator nobody here wrote, for cross-checks and
 * for driving systems from outside Node. Latency comes from its per-request log (µs), throughput from its
 * summary line.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHistogram, LatencyRecorder, type LatencySummary, summarize } from '../measure/histogram.ts';
import { type CpuSet, pinnedCommand } from '../os/cpus.ts';

export interface H2loadOptions {
  url: string;
  /** TCP connections (-c) */
  clients: number;
  /** concurrent streams per connection (-m) */
  streamsPerClient: number;
  durationMs: number;
  warmupMs: number;
  /** HTTP/1.1 instead of h2c (--h1) */
  http1?: boolean;
  /** request body file (-d): the request becomes a POST */
  bodyFile?: string;
  headers?: Record<string, string>;
  cpu?: CpuSet;
  /** extra time allowed beyond warm-up + duration before the run is killed */
  graceMs?: number;
  /** a paced load: requests per second per connection (--rps), instead of as fast as the server answers */
  rpsPerClient?: number;
}

export interface H2loadResult {
  requestsPerSec: number;
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  /** status class counts */
  status2xx: number;
  latency: LatencySummary;
  histogram: string;
  raw: string;
}

export function h2loadAvailable(): Promise<boolean> {
  return new Promise((resolve) => execFile('h2load', ['--version'], (err) => resolve(!err)));
}

/** h2load takes whole units: "1500ms" is fine, "1.5s" is not. */
function seconds(ms: number): string {
  return `${Math.max(1, Math.round(ms))}ms`;
}

export async function runH2load(options: H2loadOptions): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'muxbench-h2load-'));
  const log = join(dir, 'requests.log');
  const args = [
    '-c',
    String(options.clients),
    '-m',
    String(options.streamsPerClient),
    '-D',
    seconds(options.durationMs),
    '--warm-up-time',
    seconds(options.warmupMs),
    '--log-file',
    log,
    ...(options.http1 ? ['--h1'] : []),
    ...(options.rpsPerClient ? ['--rps', String(options.rpsPerClient)] : []),
    ...(options.bodyFile ? ['-d', options.bodyFile] : []),
    ...Object.entries(options.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    options.url,
  ];
  const [cmd, ...rest] = pinnedCommand(['h2load', ...args], options.cpu);
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        cmd!,
        rest,
        { timeout: options.warmupMs + options.durationMs + (options.graceMs ?? 30_000), maxBuffer: 16 * 1024 * 1024 },
        (err, out, errOut) => {
          if (err) reject(new Error(`h2load failed: ${err.message}\n${errOut}`));
          else resolve(out);
        },
      );
    });
    const tput = /finished in [\d.]+\w+, ([\d.]+) req\/s/.exec(stdout);
    const counts = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
    const codes = /status codes: (\d+) 2xx/.exec(stdout);
    if (!tput || !counts) throw new Error(`h2load printed no summary:\n${stdout}`);
    const recorder = new LatencyRecorder();
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      text = '';
    }
    for (const line of text.split('\n')) {
      const cols = line.split('\t');
      if (cols.length >= 3 && cols[1]!.startsWith('2')) recorder.record(Number(cols[2]));
    }
    const h = recorder.toHistogram();
    return {
      requestsPerSec: Number(tput[1]),
      total: Number(counts[1]),
      succeeded: Number(counts[2]),
      failed: Number(counts[3]),
      errored: Number(counts[4]),
      timeout: Number(counts[5]),
      status2xx: codes ? Number(codes[1]) : 0,
      latency: summarize(h),
      histogram: encodeHistogram(h),
      raw: stdout,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
