/**
 * `make bench` until the scenario suite exists: the codec microbenchmarks, then the http_grpc throughput
 * benchmark, each in its own process (the throughput one pins itself). QUICK=1 shortens every run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib.ts';

const quick = process.env.QUICK === '1';
const runs: [string, string[]][] = [
  ['bench/codec.bench.ts', quick ? ['--time-ms', '200'] : []],
  ['bench/http-grpc-throughput.ts', quick ? ['--trials', '1', '--duration-ms', '2000', '--warmup-ms', '500'] : []],
];

let failed = 0;
for (const [file, args] of runs) {
  process.stderr.write(`\n== ${file} ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/run-ts.js'), join(ROOT, file), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0) {
    failed++;
    process.stderr.write(`${file} failed (exit ${r.status ?? r.signal})\n`);
  }
}

const read = (name: string) => JSON.parse(readFileSync(join(ROOT, 'reports', 'bench', `${name}.json`), 'utf8'));
const codec = read('codec') as { results: { name: string; opsPerSec: number; framesPerSec: number | null }[] };
const tput = read('http-grpc-throughput') as {
  results: { label: string; medianCallsPerSec: number; medianP50Us: number; medianP99Us: number; trials: { serverCpu: number | null; generatorBound: boolean }[] }[];
};
const lines = ['', 'codec (tinybench)'];
for (const r of codec.results) lines.push(`  ${r.name.padEnd(58)} ${r.framesPerSec ? `${(r.framesPerSec / 1e6).toFixed(2)} M frames/s` : `${(r.opsPerSec / 1e6).toFixed(2)} M ops/s`}`);
lines.push('', 'http_grpc throughput (server on core 0, client on core 1, 8-byte echo)');
for (const r of tput.results) {
  const cpu = r.trials.map((t) => (t.serverCpu === null ? '?' : `${Math.round(t.serverCpu * 100)}%`)).join('/');
  const gb = r.trials.some((t) => t.generatorBound) ? '  [generator-bound in some trials]' : '';
  lines.push(`  ${r.label.padEnd(26)} ${Math.round(r.medianCallsPerSec).toLocaleString('en-US').padStart(11)} calls/s  p50 ${r.medianP50Us} µs  p99 ${r.medianP99Us} µs  server CPU ${cpu}${gb}`);
}
lines.push('', `results: ${join(ROOT, 'reports', 'bench')}/*.json`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = failed ? 1 : 0;
