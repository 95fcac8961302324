/** The gate's decision from its comparisons: 1 on a regression, 2 when a point could not be judged, else 0. */
import { describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import { compareRunPairs } from '../../src/report/compare.ts';
import type { GateScenarioRun } from '../../src/gate/run.ts';
import { decideGate, GATE_COMPARE_OPTIONS, gateMarkdown } from '../../src/gate/verdict.ts';
import { loadFixture, variant } from '../report/helpers.ts';

const later = { runId: '2026-01-03_00-00-00', startedAt: '2026-01-03T00:00:00.000Z' };
const meta = {
  baseRef: 'origin/main',
  baseCommit: 'abcdef1234567890',
  candidateCommit: 'fedcba9',
  candidateEnv: {},
  rounds: 3,
  wallSeconds: 12,
  machine: 'fixture',
};

function run(base: ResultsFile, candidate: ResultsFile): GateScenarioRun {
  return { scenario: base.scenario.name, base, candidate, paths: { base: 'b.json', candidate: 'c.json' } };
}

function judge(base: ResultsFile, candidate: ResultsFile) {
  // the fixture has 3 trials a side: judge without correction, so that the decision logic is what is tested
  const runs = [run(base, candidate)];
  const cs = compareRunPairs([[base, candidate]], { ...GATE_COMPARE_OPTIONS, correction: 'none', alpha: 0.1 });
  return { cs, d: decideGate(cs, runs) };
}

describe('decideGate', () => {
  const base = loadFixture('report-concurrency');
  // the fixture's tunnel point at 1,000 failed: give the base a clean copy so only what each test changes counts
  const clean = structuredClone(base);
  clean.points = clean.points.filter((p) => p.status !== 'failed');

  it('is 0 when nothing changed, with a markdown summary that says so', () => {
    const { cs, d } = judge(clean, variant(clean, { ...later, factor: 1 }));
    expect(d).toEqual({ exitCode: 0, headline: 'no significant regression', undecided: [] });
    const md = gateMarkdown(cs, d, meta);
    expect(md).toMatch(/^## ✅ muxbench gate: no significant regression/);
    expect(md).toContain('Base `origin/main` (`abcdef123456`) against the candidate `fedcba9`');
  });

  it('is 1 on a regression, and names it', () => {
    const { cs, d } = judge(clean, variant(clean, { ...later, factor: 0.7 }));
    expect(d.exitCode).toBe(1);
    expect(d.headline).toMatch(/^REGRESSION: \d+ significant regressions?$/);
    expect(gateMarkdown(cs, d, meta)).toMatch(/### Regressions\n- \*\*report-concurrency: /);
  });

  it('is 2 when a point failed on the base side too, or the run was interrupted', () => {
    const failedBoth = judge(base, variant(base, { ...later, factor: 1 })).d;
    expect(failedBoth.exitCode).toBe(2);
    expect(failedBoth.undecided).toEqual([
      'report-concurrency: h2 tunnel (concurrency=1,000): failed on the base side too (the connector exited with code 1 during trial 1)',
    ]);
    expect(failedBoth.headline).toBe(`could not decide: ${failedBoth.undecided[0]}`);
    const cut = variant(clean, { ...later, factor: 1 });
    cut.status = 'aborted';
    expect(judge(clean, cut).d).toMatchObject({ exitCode: 2, undecided: ['report-concurrency: the gate was interrupted'] });
  });

  it('is 1, not 2, when the candidate fails where the base did not', () => {
    const cand = variant(clean, { ...later, factor: 1 });
    cand.points[0]!.status = 'failed';
    cand.points[0]!.reason = 'the server exited (code 1) before it was ready (failed twice)';
    const { d } = judge(clean, cand);
    expect(d.exitCode).toBe(1);
  });
});
