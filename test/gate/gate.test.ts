/**
 * `muxbench gate` as CI runs it: the base revision checked out beside this tree, both measured interleaved,
 * a known slowdown injected into the candidate caught (exit 1), an unchanged tree passed (exit 0), and
 * could-not-run cases answered with exit 2 and a message that says what to do.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, stopAll } from '../helpers/cli.ts';

afterAll(stopAll);

const GATE_TIMEOUT_MS = 120_000;

function scenarioFile(dir: string): string {
  const file = join(dir, 'tiny-gate.mjs');
  writeFileSync(
    file,
    `export default ${JSON.stringify({
      name: 'tiny-gate',
      description: 'the origin alone, small and short: a gate that runs in seconds',
      systems: [{ id: 'origin', kind: 'origin' }],
      workload: { call: 'echo', payloadBytes: 64 },
      load: { model: 'closed', concurrency: 8 },
      warmupMs: 300,
      maxWarmupMs: 3000,
      durationMs: 300,
      trials: 5,
    })};\n`,
  );
  return file;
}

function gateArgs(dir: string, extra: string[]): string[] {
  return ['gate', '--base', 'HEAD', '--scenario', scenarioFile(dir), '--rounds', '5', '--rewarm-ms', '200', '--reports-dir', join(dir, 'reports'), ...extra];
}

function outputDir(dir: string): string {
  const root = join(dir, 'reports', 'gate');
  const [run] = readdirSync(root);
  return join(root, run!);
}

describe('muxbench gate', () => {
  it('catches a slowdown injected into the candidate only, writes every output, and profiles both sides on request', { timeout: GATE_TIMEOUT_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-gate-'));
    const r = await runCli(gateArgs(dir, ['--candidate-env', 'MUXBENCH_INJECT_CPU_US=300', '--profile']), GATE_TIMEOUT_MS);
    expect(r.stderr).not.toMatch(/FAILED/);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('muxbench gate: REGRESSION');
    const out = outputDir(dir);
    for (const f of [
      'summary.md',
      'gate.json',
      'benchmark.json',
      'bencher.json',
      'index.html',
      'tiny-gate/index.html',
      'tiny-gate/base/results.json',
      'tiny-gate/candidate/results.json',
    ]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const gate = JSON.parse(readFileSync(join(out, 'gate.json'), 'utf8')) as {
      decision: { exitCode: number };
      comparisons: {
        regressions: { why: string; metric: { metric: string; change: number } | null }[];
        points: { metrics: { metric: string; baseline: number[]; current: number[] }[] }[];
      }[];
    };
    expect(gate.decision.exitCode).toBe(1);
    const cpu = gate.comparisons[0]!.regressions.find((x) => x.metric?.metric === 'cpuUsPerRequest');
    expect(cpu, 'CPU time per request is among the regressions').toBeDefined();
    // 300 µs on top of tens of µs per request
    expect(cpu!.metric!.change).toBeGreaterThan(2);
    // interleaved: both sides measured the same number of rounds
    const m = gate.comparisons[0]!.points[0]!.metrics[0]!;
    expect(m.baseline).toHaveLength(5);
    expect(m.current).toHaveLength(5);
    const bench = JSON.parse(readFileSync(join(out, 'benchmark.json'), 'utf8')) as { name: string; unit: string; value: number }[];
    expect(bench.map((b) => b.unit)).toEqual(['µs', 'µs', 'µs/req']);
    expect(bench.every((b) => b.value > 0)).toBe(true);
    const bencher = JSON.parse(readFileSync(join(out, 'bencher.json'), 'utf8')) as Record<string, Record<string, { value: number }>>;
    expect(Object.keys(bencher['tiny-gate/origin']!)).toEqual(['throughput', 'latency-p50-us', 'latency-p99-us', 'cpu-us-per-request']);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toMatch(/❌ muxbench gate: REGRESSION[\s\S]*\| tiny-gate \| origin/);
    // --profile: one profiled trial per side after the rounds, not among them; the comparison shows what grew
    for (const side of ['base', 'candidate']) {
      const results = JSON.parse(readFileSync(join(out, 'tiny-gate', side, 'results.json'), 'utf8')) as {
        points: { trials: unknown[]; profile?: { processes: { role: string; file: string | null }[] } }[];
      };
      const [p] = results.points;
      expect(p!.trials, side).toHaveLength(5);
      expect(
        p!.profile?.processes.map((x) => x.role),
        side,
      ).toEqual(['origin']);
      expect(existsSync(join(out, 'tiny-gate', side, p!.profile!.processes[0]!.file!)), side).toBe(true);
    }
    const page = readFileSync(join(out, 'tiny-gate', 'index.html'), 'utf8');
    expect(page).toContain('What changed in the profiles');
    // the injected burn is among what grew most
    expect(page).toMatch(/grew most((?!<\/table>)[\s\S])*inject-cpu\.ts/);
  });

  it('passes an unchanged tree', { timeout: GATE_TIMEOUT_MS }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-gate-'));
    // a 50 % minimum effect: what is left to decide is whether the machinery finds a change where there is none
    const r = await runCli(gateArgs(dir, ['--min-effect', '0.5']), GATE_TIMEOUT_MS);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('✅ muxbench gate: no significant regression');
  });

  it('answers 2 with what to do when the base revision is missing or an option is bad', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-gate-'));
    const missing = await runCli(['gate', '--base', 'no-such-branch-xyz', '--scenario', scenarioFile(dir), '--reports-dir', join(dir, 'reports')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("base revision 'no-such-branch-xyz' is not in this repository");
    expect(missing.stderr).toContain('git fetch');
    const rounds = await runCli(['gate', '--rounds', '1']);
    expect(rounds.code).toBe(2);
    expect(rounds.stderr).toContain('--rounds must be an integer from 3 to 100');
    const env = await runCli(['gate', '--candidate-env', 'NOEQUALS']);
    expect(env.code).toBe(2);
    expect(env.stderr).toContain("--candidate-env takes KEY=VALUE, got 'NOEQUALS'");
    const scenario = await runCli(['gate', '--scenario', 'no-such-scenario']);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toMatch(/no-such-scenario/);
  });
});
