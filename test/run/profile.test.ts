/**
 * `--profile`: a served system's V8 CPU profile taken on request (SIGUSR2, in process), summarised (where
 * the time went, top functions, a pruned call tree), one extra profiled trial per point in a real run with
 * its cost recorded, the flame graphs in the report, and clear refusals for what is not built.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CpuProfile, diffProfiles, frameKind, frameLocation, summarizeProfile } from '../../src/measure/profile.ts';
import { compareResults, formatComparison, renderComparisonReport } from '../../src/report/index.ts';
import { loadFixture } from '../report/helpers.ts';
import { flameSvg } from '../../src/report/flame.ts';
import { renderRunReport } from '../../src/report/run-report.ts';
import { runScenario } from '../../src/run/runner.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { startSystem } from '../../src/run/supervise.ts';
import { PROFILE_DIR_ENV } from '../../src/systems/profiler.ts';
import { runCli, stopAll } from '../helpers/cli.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

describe('CPU profiles of served systems', () => {
  it('starts and stops the profiler on SIGUSR2 and writes a profile that summarises to where the time went', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-prof-'));
    const origin = await startSystem('origin', ['--port', '0'], { env: { ...process.env, [PROFILE_DIR_ENV]: dir } });
    try {
      expect(await origin.profile()).toEqual({ event: 'profile-started' });
      const url = `${origin.ready.urls.http}/echo`;
      for (let i = 0; i < 300; i++) {
        const res = await fetch(url, { method: 'POST', body: 'x'.repeat(64) });
        expect(await res.text()).toHaveLength(64);
      }
      const done = await origin.profile();
      expect(done.event).toBe('profile');
      const file = (done as { file: string }).file;
      expect(file.startsWith(dir)).toBe(true);
      const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
      const s = summarizeProfile(profile);
      expect(s.samples).toBeGreaterThan(10);
      expect(Object.values(s.kinds).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      // serving HTTP runs node's http parser and our origin: both show up
      expect(s.kinds.node + s.kinds.native).toBeGreaterThan(0);
      expect(s.top.length).toBeGreaterThan(3);
      expect(s.top.every((f) => f.kind !== 'idle')).toBe(true);
      expect(s.flame.children.length).toBeGreaterThan(0);
      expect(s.flame.children.every((c) => c.kind !== 'idle')).toBe(true);
      const svg = flameSvg(s.flame, 'origin');
      expect(svg.match(/<rect /g)!.length).toBeGreaterThan(5);
      // a second round works too (a new file)
      expect(await origin.profile()).toEqual({ event: 'profile-started' });
      const again = await origin.profile();
      expect((again as { file: string }).file).not.toBe(file);
    } finally {
      await origin.stop();
    }
  });

  it('answers with a reason, and keeps serving, when started without a profile directory', async () => {
    const env = { ...process.env };
    delete env[PROFILE_DIR_ENV];
    const origin = await startSystem('origin', ['--port', '0'], { env });
    try {
      expect(await origin.profile()).toEqual({ event: 'profile', error: `origin was started without ${PROFILE_DIR_ENV}` });
      const res = await fetch(`${origin.ready.urls.http}/echo`, { method: 'POST', body: 'still here' });
      expect(await res.text()).toBe('still here');
    } finally {
      await origin.stop();
    }
  });

  it('names frames by kind and place', () => {
    expect(frameKind('(garbage collector)', '')).toBe('gc');
    expect(frameKind('(idle)', '')).toBe('idle');
    expect(frameKind('writev', '')).toBe('native');
    expect(frameKind('onread', 'node:internal/stream_base_commons')).toBe('node');
    expect(frameKind('x', 'file:///w/node_modules/undici/index.js')).toBe('deps');
    expect(frameKind('decode', 'file:///work/main/src/h2/hpack.ts')).toBe('own');
    expect(frameLocation('file:///work/main/src/h2/hpack.ts', 9)).toBe('src/h2/hpack.ts:10');
    expect(frameLocation('node:internal/x', 41)).toBe('node:internal/x:42');
    expect(frameLocation('file:///work/main/src/h2/hpack.ts', 0)).toBe('src/h2/hpack.ts');
  });
});

/** A profile of `ms` ms: per function, how many 1 ms samples it got (a flat tree under the root). */
function synthetic(samples: Record<string, number>, idle = 0): CpuProfile {
  const names = Object.keys(samples);
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [...names.map((_, i) => i + 2), names.length + 2] },
    ...names.map((n, i) => ({ id: i + 2, callFrame: { functionName: n, url: 'file:///w/src/x.ts', lineNumber: i }, hitCount: samples[n]! })),
    { id: names.length + 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 }, hitCount: idle },
  ];
  const ids = [...names.flatMap((n, i) => Array<number>(samples[n]!).fill(i + 2)), ...Array<number>(idle).fill(names.length + 2)];
  return { nodes, startTime: 0, endTime: ids.length * 1000, samples: [...ids, ids[ids.length - 1]!], timeDeltas: [0, ...ids.map(() => 1000)] };
}

describe('profile differences', () => {
  it('reads shares of the busy time by function and kind, whatever the idle time', () => {
    const before = summarizeProfile(synthetic({ parse: 50, write: 50 }, 100));
    const after = summarizeProfile(synthetic({ parse: 80, write: 20 }, 300));
    expect(before.top.find((f) => f.name === 'parse')!.selfUs).toBe(50_000);
    const d = diffProfiles(before, after);
    expect(d.grew.map((f) => f.name)).toEqual(['parse']);
    expect(d.grew[0]!.baseShare).toBeCloseTo(0.5, 6);
    expect(d.grew[0]!.currentShare).toBeCloseTo(0.8, 6);
    expect(d.shrank[0]!).toMatchObject({ name: 'write' });
    expect(d.shrank[0]!.change).toBeCloseTo(-0.3, 6);
    expect(d.kinds.find((k) => k.kind === 'own')!.change).toBeCloseTo(0, 6);
  });

  it('shows beside a comparison which functions grew, when both runs were profiled', () => {
    const base = loadFixture('report-concurrency');
    const current = structuredClone(base);
    current.runId = '2026-01-09_00-00-00';
    const p = base.points.find((x) => x.trials.length > 0)!;
    const q = current.points.find((x) => x.index === p.index)!;
    const profile = (s: CpuProfile) => ({
      kind: 'cpu' as const,
      trial: p.trials[0]!,
      overhead: -0.2,
      processes: [{ role: 'server', file: null, summary: summarizeProfile(s) }],
    });
    p.profile = profile(synthetic({ parse: 50, write: 50 }));
    q.profile = profile(synthetic({ parse: 30, write: 20, encode: 50 }));
    const c = compareResults(base, current);
    expect(formatComparison(c)).toMatch(/server: .*grew: encode \(src\/x\.ts:3\) \+50\.0 pp/);
    const html = renderComparisonReport(base, current, c);
    expect(html).toContain('id="profile-diffs"');
    expect(html).toMatch(/<code>encode<\/code>.*\+50\.0 pp/s);
  });
});

describe('muxbench scenario --profile', () => {
  it('adds one profiled trial per point, with each system process profiled, its cost, and flame graphs in the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-prof-run-'));
    const file = scenarioFile(dir, 'profiled', {
      description: 'a tunnel, profiled',
      systems: [{ id: 'tunnel', kind: 'h2-tunnel' }],
      workload: { call: 'echo', payloadBytes: 64 },
      load: { model: 'closed', concurrency: 20 },
      warmupMs: 300,
      maxWarmupMs: 3000,
      durationMs: 800,
      trials: 2,
    });
    const { results, resultsPath } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet, profile: 'cpu' });
    const [p] = results.points;
    expect(p!.trials).toHaveLength(2);
    // the point records the stream limit it ran with (src/h2/stream-limit.ts)
    expect(p!.streamLimit).toEqual({ perConnection: 100, connections: 1 });
    const prof = p!.profile!;
    expect(prof.kind).toBe('cpu');
    expect(prof.trial.requestsPerSec).toBeGreaterThan(0);
    const median = (p!.trials[0]!.requestsPerSec + p!.trials[1]!.requestsPerSec) / 2;
    expect(prof.overhead).toBeCloseTo(prof.trial.requestsPerSec / median - 1, 2);
    expect(prof.processes.map((x) => x.role).sort()).toEqual(['connector', 'edge', 'origin']);
    for (const proc of prof.processes) {
      expect(proc.error, proc.role).toBeUndefined();
      expect(existsSync(join(dirname(resultsPath), proc.file!))).toBe(true);
      expect(1 - proc.summary!.kinds.idle, `${proc.role}: it did some work`).toBeGreaterThan(0);
      // the edge and the connector are mostly our code; the origin's handlers are thin over node:http
      if (proc.role !== 'origin') expect(proc.summary!.kinds.own, `${proc.role}: our code shows in a tunnel process`).toBeGreaterThan(0);
    }
    const html = renderRunReport(results);
    expect(html).toContain('id="profiles"');
    expect(html.match(/<svg class="flame"/g)).toHaveLength(3);
    expect(html).toMatch(/The profiled trial: .* against the median of the point.s 2 unprofiled trials/);
    expect(html).toContain('Profiled run: each point');
  });

  it("takes the scenario's own profile field, and refuses another kind there", () => {
    const scenario = (profile: string): unknown => ({
      name: 'p',
      description: 'd',
      systems: [{ id: 'o', kind: 'origin' }],
      load: { model: 'closed', concurrency: 1 },
      profile,
    });
    expect(parseScenario(scenario('cpu'), 'x').profile).toBe('cpu');
    expect(parseScenario(scenario('clinic'), 'x').profile).toBe('clinic');
    expect(() => parseScenario(scenario('perf'), 'x')).toThrow(/profile: /);
  });

  it('refuses a profile kind it does not have, naming it', async () => {
    const bad = await runCli(['scenario', 'smoke', '--profile=perf']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--profile takes cpu or clinic, got 'perf'/);
    const help = await runCli(['scenario', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--profile\[=cpu\]/);
    expect(help.stdout).toMatch(/--profile=clinic/);
  });
});
