/**
 * `make bench`: the microbenchmarks, then the standard scenario suite, each in its own process; every
 * scenario writes its results and report, and reports/index.html lists them all. QUICK=1 runs the short
 * variants (6 minutes instead of 22 on a 2-core machine).
 *
 * Exit status (the scenario command's): 0 every step ran and every point was measured; 1 some point
 * failed, or a step broke — every scenario still runs and the index is still written; 2 bad options;
 * 130 / 143 stopped by SIGINT / SIGTERM, which is passed on to the step running (a scenario keeps what it
 * measured), the index written with what there is.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asUsageError, EXIT, parseCommandArgs, signalExitCode } from '../src/cli/args.ts';
import { micros } from '../src/report/format.ts';
import { writeIndex } from '../src/report/index.ts';
import { ROOT } from './lib.ts';

const USAGE = `usage: node bin/run-ts.js bench/all.ts [--scenario NAME|FILE]... [--no-micro] [--reports-dir DIR]
  --scenario NAME|FILE  run these scenarios instead of the standard suite (repeatable)
  --no-micro            leave out the microbenchmarks (codec, http_grpc throughput)
  --reports-dir DIR     where the scenarios' reports and the index go (default reports/)
QUICK=1 runs the scenarios' short variants.`;

let options: { scenario?: string[]; 'no-micro'?: boolean; 'reports-dir'?: string; help?: boolean };
try {
  ({ values: options } = parseCommandArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      'no-micro': { type: 'boolean' },
      'reports-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (err) {
  process.stderr.write(`bench/all.ts: ${(asUsageError(err) ?? (err as Error)).message}\n${USAGE}\n`);
  process.exit(EXIT.usage);
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(EXIT.ok);
}

const quick = process.env.QUICK === '1';
const SCENARIOS = options.scenario ?? ['high-concurrency', 'payload-size', 'stream-limit', 'batch-window', 'seed-claims'];
const reportsDir = options['reports-dir'] ?? join(ROOT, 'reports');
const started = Date.now();
let broken = 0;
let pointsFailed = 0;

// Each step runs in its own process group, so that a terminal's Ctrl-C reaches it once — from here —
// and it can finish its point and write its report; a second signal ends this script at once.
let current: ChildProcess | null = null;
let stoppedBy: NodeJS.Signals | null = null;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stoppedBy) process.exit(signalExitCode(signal));
    stoppedBy = signal;
    process.stderr.write(`\n${signal}: stopping the current step; the index is written with what there is\n`);
    current?.kill(signal);
  });
}

/** Runs one step; exit 1 of `muxbench scenario` is a result (some points failed, shown in the report), not breakage. */
function step(title: string, args: string[], failedPointsCode?: number): Promise<string> {
  if (stoppedBy) return Promise.resolve('');
  process.stderr.write(`\n== ${title}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    current = child;
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.on('close', (code, signal) => {
      current = null;
      if (stoppedBy) {
        // interrupted: neither a failure nor a success
      } else if (code === failedPointsCode) {
        pointsFailed++;
        process.stderr.write(`${title}: some points failed; their reasons are in the report\n`);
      } else if (code !== 0) {
        broken++;
        process.stderr.write(`${title} failed (exit ${code ?? signal})\n`);
      }
      resolve(stdout);
    });
  });
}

const runTs = join(ROOT, 'bin/run-ts.js');
const bin = join(ROOT, 'bin/muxbench.js');
if (!options['no-micro']) {
  await step('codec microbenchmarks (tinybench)', [runTs, 'bench/codec.bench.ts', ...(quick ? ['--time-ms', '200'] : [])]);
  await step('http_grpc throughput', [
    runTs,
    'bench/http-grpc-throughput.ts',
    ...(quick ? ['--trials', '1', '--duration-ms', '1500', '--warmup-ms', '300'] : []),
  ]);
}

const tables: string[] = [];
for (const name of SCENARIOS) {
  const args = [bin, 'scenario', name, ...(quick ? ['--quick'] : []), ...(options['reports-dir'] ? ['--reports-dir', reportsDir] : [])];
  const out = await step(`scenario ${name}${quick ? ' (quick)' : ''}`, args, EXIT.failed);
  if (out.trim()) tables.push(`${name}\n${out.trim()}`);
}

const read = (name: string): unknown => {
  const file = join(ROOT, 'reports', 'bench', `${name}.json`);
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};
const codec = options['no-micro'] ? null : (read('codec') as { results: { name: string; opsPerSec: number; framesPerSec: number | null }[] } | null);
const tput = options['no-micro']
  ? null
  : (read('http-grpc-throughput') as {
      results: {
        label: string;
        medianCallsPerSec: number;
        medianP50Us: number;
        medianP99Us: number;
        trials: { serverCpu: number | null; generatorBound: boolean }[];
      }[];
    } | null);
const lines: string[] = [''];
if (codec) {
  lines.push('codec (tinybench)');
  for (const r of codec.results)
    lines.push(`  ${r.name.padEnd(58)} ${r.framesPerSec ? `${(r.framesPerSec / 1e6).toFixed(2)} M frames/s` : `${(r.opsPerSec / 1e6).toFixed(2)} M ops/s`}`);
}
if (tput) {
  lines.push('', 'http_grpc throughput (server on core 0, client on core 1, 8-byte echo)');
  for (const r of tput.results) {
    const cpu = r.trials.map((t) => (t.serverCpu === null ? '?' : `${Math.round(t.serverCpu * 100)}%`)).join('/');
    const gb = r.trials.some((t) => t.generatorBound) ? '  [generator-bound in some trials]' : '';
    lines.push(
      `  ${r.label.padEnd(26)} ${Math.round(r.medianCallsPerSec).toLocaleString('en-US').padStart(11)} calls/s  p50 ${micros(r.medianP50Us)}  p99 ${micros(r.medianP99Us)}  server CPU ${cpu}${gb}`,
    );
  }
}
lines.push('', ...tables.map((t) => `${t}\n`));
const index = writeIndex(reportsDir);
const outcome = [
  ...(stoppedBy ? [`stopped by ${stoppedBy}`] : []),
  ...(pointsFailed ? [`${pointsFailed} scenario(s) with failed points`] : []),
  ...(broken ? [`${broken} step(s) FAILED`] : []),
];
lines.push(`finished in ${Math.round((Date.now() - started) / 1000)} s${outcome.length ? `: ${outcome.join(', ')}` : ''}`, `open: ${index}`);
process.stdout.write(`${lines.join('\n')}\n`);
process.exitCode = stoppedBy ? signalExitCode(stoppedBy) : broken || pointsFailed ? EXIT.failed : EXIT.ok;
