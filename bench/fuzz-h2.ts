/**
 * The long fuzz run of the HTTP/2 stack: the property-test targets (test/helpers/h2-fuzz.ts — frame
 * reader, HPACK decoder, Huffman decoder, a whole session in either role) for a million inputs or more,
 * split across targets by weight. Prints a JSON summary (inputs, seconds, per target: runs, failures with
 * the seed and path that reproduce them) and keeps a copy in reports/bench/fuzz-h2.json. Exits 1 on any
 * failure.
 *
 *   node bin/run-ts.js bench/fuzz-h2.ts [--inputs 1000000] [--seed N]
 *
 * Reproduce a failure with the reported `{ seed, path }` on the same target: fc.check(property, { seed, path }).
 */
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { fuzzTargets } from '../test/helpers/h2-fuzz.ts';
import { environment, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    inputs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
  },
});
const inputs = Number(values.inputs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);
if (!Number.isInteger(inputs) || inputs < 1) throw new Error(`--inputs must be a positive integer, got ${values.inputs}`);

/** Share of the inputs each target gets: the session is the deepest (and slowest) target. */
const WEIGHTS: Record<string, number> = {
  'frame reader: random bytes, random cuts': 0.15,
  'frame reader: well-formed headers, random payloads, random cuts': 0.15,
  'HPACK decoder: random blocks sharing one table': 0.15,
  'HPACK decoder: blocks of HPACK representations': 0.15,
  'Huffman decoder: random bytes': 0.1,
  'session: frames after a valid preface, either role, random cuts': 0.3,
};

interface TargetResult {
  name: string;
  runs: number;
  seconds: number;
  failed: boolean;
  failure?: { seed: number; path: string; error: string; counterexample: string };
}

/**
 * Inputs run in batches with the event loop let through between them: sessions schedule their writes
 * with setImmediate, and a loop that never yields would keep every session of the run alive.
 */
const BATCH = 1000;

const started = performance.now();
const results: TargetResult[] = [];
let assigned = 0;
for (const [i, target] of fuzzTargets.entries()) {
  const runs = i === fuzzTargets.length - 1 ? inputs - assigned : Math.round(inputs * (WEIGHTS[target.name] ?? 1 / fuzzTargets.length));
  assigned += runs;
  const t0 = performance.now();
  const result: TargetResult = { name: target.name, runs: 0, seconds: 0, failed: false };
  for (let batch = 0; result.runs < runs; batch++) {
    const batchSeed = seed + i * 1_000_003 + batch;
    const details = fc.check(
      fc.property(target.arbitrary, (input) => target.run(input)),
      { numRuns: Math.min(BATCH, runs - result.runs), seed: batchSeed },
    );
    result.runs += details.numRuns;
    if (details.failed) {
      result.failed = true;
      result.failure = {
        seed: details.seed,
        path: details.counterexamplePath ?? '',
        error: details.errorInstance instanceof Error ? `${details.errorInstance.name}: ${details.errorInstance.message}` : String(details.errorInstance),
        counterexample: fc.stringify(details.counterexample).slice(0, 2000),
      };
      break;
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  result.seconds = Math.round(performance.now() - t0) / 1000;
  results.push(result);
  process.stderr.write(`${target.name}: ${result.runs} inputs in ${result.seconds} s${result.failed ? ' — FAILED' : ''}\n`);
}

const summary = {
  inputs: results.reduce((n, r) => n + r.runs, 0),
  seconds: Math.round(performance.now() - started) / 1000,
  seed,
  failures: results.filter((r) => r.failed).length,
  targets: results,
  environment: environment(),
};
writeBenchResult('fuzz-h2', summary);
process.exitCode = summary.failures > 0 ? 1 : 0;
