/**
 * `make bench`: the microbenchmarks, then the standard scenario suite, each in its own process; every
 * scenario writes its results and report, and reports/index.html lists them all. QUICK=1 runs the short
 * variants (6 minutes instead of 22 on a 2-core machine).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeIndex } from '../src/report/index.ts';
import { ROOT } from './lib.ts';

const quick = process.env.QUICK === '1';
const SCENARIOS = ['high-concurrency', 'payload-size', 'stream-limit', 'batch-window', 'seed-claims'];
const started = Date.now();
let failed = 0;

/** Exit codes of `muxbench scenario` that are results, not breakage: 1 = some points failed (shown in the report). */
function step(title: string, args: string[], okCodes: number[] = [0]): string {
  process.stderr.write(`\n== ${title}\n`);
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status === null || !okCodes.includes(r.status)) {
    failed++;
    process.stderr.write(`${title} failed (exit ${r.status ?? r.signal})\n`);
  } else if (r.status !== 0) {
    process.stderr.write(`${title}: some points failed; their reasons are in the report\n`);
  }
  return r.stdout ?? '';
}

const runTs = join(ROOT, 'bin/run-ts.js');
const bin = join(ROOT, 'bin/muxbench.js');
step('codec microbenchmarks (tinybench)', [runTs, 'bench/codec.bench.ts', ...(quick ? ['--time-ms', '200'] : [])]);
step('http_grpc throughput', [runTs, 'bench/http-grpc-throughput.ts', ...(quick ? ['--trials', '1', '--duration-ms', '1500', '--warmup-ms', '300'] : [])]);

const tables: string[] = [];
for (const name of SCENARIOS) {
  const out = step(`scenario ${name}${quick ? ' (quick)' : ''}`, [bin, 'scenario', name, ...(quick ? ['--quick'] : [])], [0, 1]);
  tables.push(`${name}\n${out.trim()}`);
}

const read = (name: string): unknown => {
  const file = join(ROOT, 'reports', 'bench', `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
const codec = read('codec') as { results: { name: string; opsPerSec: number; framesPerSec: number | null }[] } | null;
const tput = read('http-grpc-throughput') as {
  results: { label: string; medianCallsPerSec: number; medianP50Us: number; medianP99Us: number; trials: { serverCpu: number | null; generatorBound: boolean }[] }[];
} | null;
const lines: string[] = [''];
if (codec) {
  lines.push('codec (tinybench)');
  for (const r of codec.results) lines.push(`  ${r.name.padEnd(58)} ${r.framesPerSec ? `${(r.framesPerSec / 1e6).toFixed(2)} M frames/s` : `${(r.opsPerSec / 1e6).toFixed(2)} M ops/s`}`);
}
if (tput) {
  lines.push('', 'http_grpc throughput (server on core 0, client on core 1, 8-byte echo)');
  for (const r of tput.results) {
    const cpu = r.trials.map((t) => (t.serverCpu === null ? '?' : `${Math.round(t.serverCpu * 100)}%`)).join('/');
    const gb = r.trials.some((t) => t.generatorBound) ? '  [generator-bound in some trials]' : '';
    lines.push(`  ${r.label.padEnd(26)} ${Math.round(r.medianCallsPerSec).toLocaleString('en-US').padStart(11)} calls/s  p50 ${r.medianP50Us} µs  p99 ${r.medianP99Us} µs  server CPU ${cpu}${gb}`);
  }
}
lines.push('', ...tables.map((t) => `${t}\n`));
const index = writeIndex(join(ROOT, 'reports'));
lines.push(`finished in ${Math.round((Date.now() - started) / 1000)} s${failed ? `, ${failed} step(s) FAILED` : ''}`, `open: ${index}`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = failed ? 1 : 0;
