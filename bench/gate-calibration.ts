/**
 * Calibrates `muxbench gate` by running it again and again: on an unchanged tree (how often does it cry
 * wolf?) and with a known slowdown injected into the candidate (MUXBENCH_INJECT_CPU_US: how often does it
 * catch it?). Tallies exit codes, wall time, and per point which gated metrics were flagged; results are
 * rewritten after every gate run, so a long calibration interrupted keeps what it measured.
 *
 *   node bin/run-ts.js bench/gate-calibration.ts --runs 20 --label unchanged
 *   node bin/run-ts.js bench/gate-calibration.ts --runs 10 --label inject-15us --candidate-env MUXBENCH_INJECT_CPU_US=15
 *
 * `--resume` continues an interrupted calibration of the same label up to `--runs` in all; every run records
 * the commit it measured, so a resumed tally shows whether the code changed under it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { environment, ROOT, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    label: { type: 'string', default: 'unchanged' },
    base: { type: 'string', default: 'HEAD' },
    scenario: { type: 'string', multiple: true },
    'candidate-env': { type: 'string', multiple: true },
    extra: { type: 'string', multiple: true },
    resume: { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const label = values.label!;

interface GateJson {
  decision: { exitCode: number; headline: string };
  meta: { wallSeconds: number };
  comparisons: {
    scenario: string;
    points: {
      label: string;
      params: Record<string, number>;
      newlyFailed: boolean;
      metrics: { metric: string; change: number; pAdjusted: number; regression: boolean; verdict: string }[];
    }[];
  }[];
}

interface RunRecord {
  run: number;
  commit?: string;
  exitCode: number | null;
  headline: string;
  wallSeconds: number;
  flagged: string[];
}
interface PointTally {
  runs: number;
  flagged: number;
  metrics: Record<string, number>;
  changes: Record<string, number[]>;
}

const perRun: RunRecord[] = [];
const perPoint: Record<string, PointTally> = {};
const resultFile = join(ROOT, 'reports', 'bench', `gate-calibration-${label}.json`);
if (values.resume && existsSync(resultFile)) {
  const previous = JSON.parse(readFileSync(resultFile, 'utf8')) as {
    runs: RunRecord[];
    points: { point: string; runs: number; flagged: number; metrics: string; changes: Record<string, number[]> }[];
  };
  perRun.push(...previous.runs);
  for (const p of previous.points)
    perPoint[p.point] = { runs: p.runs, flagged: p.flagged, metrics: JSON.parse(p.metrics) as Record<string, number>, changes: p.changes };
  process.stderr.write(`[${label}] resuming after ${perRun.length} runs\n`);
}
const commit = environment().commit ?? undefined;

for (let i = perRun.length + 1; i <= runs; i++) {
  const out = mkdtempSync(join(tmpdir(), 'muxbench-cal-'));
  const args = [
    join(ROOT, 'bin/muxbench.js'),
    'gate',
    '--base',
    values.base!,
    '--reports-dir',
    out,
    ...(values.scenario ?? []).flatMap((s) => ['--scenario', s]),
    ...(values['candidate-env'] ?? []).flatMap((e) => ['--candidate-env', e]),
    ...(values.extra ?? []),
  ];
  const started = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 });
  const wall = (Date.now() - started) / 1000;
  let gate: GateJson | null = null;
  try {
    const dir = join(out, 'gate', readdirSync(join(out, 'gate'))[0]!);
    gate = JSON.parse(readFileSync(join(dir, 'gate.json'), 'utf8')) as GateJson;
  } catch {
    gate = null;
  }
  const flagged: string[] = [];
  for (const c of gate?.comparisons ?? []) {
    for (const p of c.points) {
      const key = `${c.scenario}: ${p.label} ${JSON.stringify(p.params)}`;
      const slot = (perPoint[key] ??= { runs: 0, flagged: 0, metrics: {}, changes: {} });
      slot.runs++;
      const regs = p.metrics.filter((m) => m.regression).map((m) => m.metric);
      if (p.newlyFailed) regs.push('now fails');
      if (regs.length) {
        slot.flagged++;
        flagged.push(`${key}: ${regs.join(', ')}`);
      }
      for (const m of regs) slot.metrics[m] = (slot.metrics[m] ?? 0) + 1;
      for (const m of p.metrics) (slot.changes[m.metric] ??= []).push(Math.round(m.change * 1000) / 1000);
    }
  }
  perRun.push({
    run: i,
    commit,
    exitCode: r.status,
    headline: gate?.decision.headline ?? `no gate.json (${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')})`,
    wallSeconds: Math.round(wall),
    flagged,
  });
  process.stderr.write(
    `[${label} ${i}/${runs}] exit ${r.status} in ${Math.round(wall)} s: ${perRun.at(-1)!.headline}${flagged.length ? `\n  ${flagged.join('\n  ')}` : ''}\n`,
  );
  const exits: Record<string, number> = {};
  for (const x of perRun) exits[String(x.exitCode)] = (exits[String(x.exitCode)] ?? 0) + 1;
  writeBenchResult(`gate-calibration-${label}`, {
    bench: `gate-calibration-${label}`,
    environment: environment({ candidateEnv: values['candidate-env'] ?? [], base: values.base, scenarios: values.scenario ?? ['gate'] }),
    runsDone: perRun.length,
    exits,
    wallSeconds: { min: Math.min(...perRun.map((x) => x.wallSeconds)), max: Math.max(...perRun.map((x) => x.wallSeconds)) },
    points: Object.entries(perPoint).map(([point, v]) => ({ point, runs: v.runs, flagged: v.flagged, metrics: JSON.stringify(v.metrics), changes: v.changes })),
    runs: perRun,
  });
}
