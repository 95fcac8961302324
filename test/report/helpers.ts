/** Fixtures and small tools shared by the report tests. */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResultsFile, SeriesWindow, TrialResult } from '../../src/measure/results.ts';
import { summarize } from '../../src/run/point.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

export function fixturePath(name: 'report-concurrency' | 'report-stream-limit' | 'smoke-results'): string {
  return join(FIXTURES, `${name}.json`);
}

export function loadFixture(name: 'report-concurrency' | 'report-stream-limit' | 'smoke-results'): ResultsFile {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as ResultsFile;
}

/**
 * A hand-made trial: `rps` requests in one second, every latency percentile derived from `latencyUs` (p50 and
 * mean; p99 twice it unless given), the processes' usage as given.
 */
export function syntheticTrial(
  rps: number,
  latencyUs: number,
  o: { p99Us?: number; processes?: TrialResult['processes']; series?: SeriesWindow[] } = {},
): TrialResult {
  const t: TrialResult = {
    requests: rps,
    requestsPerSec: rps,
    bytesInPerSec: 0,
    bytesOutPerSec: 0,
    errors: {},
    dropped: 0,
    abandoned: 0,
    elapsedMs: 1000,
    latency: {
      count: rps,
      meanUs: latencyUs,
      p50Us: latencyUs,
      p90Us: latencyUs,
      p99Us: o.p99Us ?? latencyUs * 2,
      p999Us: latencyUs * 3,
      maxUs: latencyUs * 4,
    },
    histogram: '',
    generatorCpu: 0.2,
    processes: o.processes ?? {},
  };
  if (o.series) t.series = o.series;
  return t;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `muxbench-${prefix}-`));
}

/**
 * A copy of `r` as another run: every trial's throughput multiplied by `factor` (a number, or one factor
 * per trial index), latency by `latencyFactor`; summaries recomputed the way the runner does.
 */
export function variant(r: ResultsFile, o: { runId: string; startedAt: string; factor?: number | number[]; latencyFactor?: number }): ResultsFile {
  const copy = structuredClone(r);
  copy.runId = o.runId;
  copy.startedAt = o.startedAt;
  for (const p of copy.points) {
    p.trials.forEach((t, i) => {
      const k = Array.isArray(o.factor) ? (o.factor[i % o.factor.length] ?? 1) : (o.factor ?? 1);
      t.requestsPerSec *= k;
      const l = o.latencyFactor ?? 1;
      t.latency = { ...t.latency, p50Us: Math.round(t.latency.p50Us * l), p99Us: Math.round(t.latency.p99Us * l) };
    });
    if (p.trials.length) p.summary = summarize(p.trials);
  }
  return copy;
}

export function writeJson(path: string, data: unknown): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(data));
  return path;
}

/** The parsed content of a `<script type="application/json" id="…">` island. */
export function island(html: string, id: string): unknown {
  const m = new RegExp(`<script type="application/json" id="${id}">([^<]*)</script>`).exec(html);
  if (!m) throw new Error(`no JSON island '${id}' in the page`);
  return JSON.parse(m[1]!);
}

/** A reports/ tree: two runs of one scenario (the later 30 % slower), a stream-limit run, a broken file, bench JSON. */
export function makeReportsDir(dir = tempDir('reports')): string {
  const base = loadFixture('report-concurrency');
  writeJson(join(dir, 'report-concurrency', base.runId, 'results.json'), base);
  const slow = variant(base, { runId: '2026-01-03_00-00-00', startedAt: '2026-01-03T00:00:00.000Z', factor: 0.7 });
  writeJson(join(dir, 'report-concurrency', slow.runId, 'results.json'), slow);
  const sl = loadFixture('report-stream-limit');
  writeJson(join(dir, 'report-stream-limit', sl.runId, 'results.json'), sl);
  mkdirSync(join(dir, 'broken', 'run-x'), { recursive: true });
  writeFileSync(join(dir, 'broken', 'run-x', 'results.json'), '{"schema": "muxbench.results/1", "runId": ');
  writeJson(join(dir, 'bench', 'codec.json'), {
    bench: 'codec',
    environment: { commit: 'def5678', date: '2026-01-04T05:06:07.000Z' },
    timeMs: 500,
    results: [
      { name: 'varint encode ×8', opsPerSec: 6854759, meanNsPerOp: 158 },
      { name: 'decode 256 frames', opsPerSec: 57785, meanNsPerOp: 18166, trials: [1, 2] },
    ],
  });
  writeJson(join(dir, 'bench', 'tunnel.json'), {
    bench: 'tunnel',
    throughput: [{ system: 'h2 tunnel, limit 100', concurrency: 100, medianRequestsPerSec: 3202 }],
  });
  writeFileSync(join(dir, 'bench', 'cut.json'), '{');
  return dir;
}
