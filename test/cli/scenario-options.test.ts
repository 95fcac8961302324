/**
 * `muxbench scenario` run as users run it, with the options that change the scenario (-c, -d, --trials,
 * --warmup, --system, --set), the output options (--json, --quiet) and the exit statuses: 0 every point
 * measured, 1 a point failed, 2 bad options or values (nothing runs), 143 SIGTERM.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import type { RunSummary } from '../../src/run/summary-json.ts';
import { MUXBENCH_BIN } from '../../src/run/supervise.ts';
import { runCli, stopAll } from '../helpers/cli.ts';
import { alive, descendants } from '../helpers/procs.ts';
import { scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

const dir = mkdtempSync(join(tmpdir(), 'muxbench-cli-'));
const reports = join(dir, 'reports');
/** A fast server, one that never starts, and a sweep the command line replaces. */
const file = scenarioFile(dir, 'cli-options', {
  description: 'the command line changes this scenario',
  systems: [
    { id: 'srv', kind: 'http-grpc', mode: 'streaming' },
    {
      id: 'broken',
      kind: 'external',
      protocol: 'http1',
      command: [process.execPath, '-e', `console.error('boom: ${'no config file, '.repeat(12)}'); process.exit(3)`],
    },
  ],
  load: { model: 'closed', concurrency: 8 },
  warmupMs: 1000,
  maxWarmupMs: 1500,
  durationMs: 5000,
  trials: 3,
  sweep: { concurrency: [1, 10, 100] },
});

describe('muxbench scenario: options that change the scenario', () => {
  it('runs the points the options name and records them; --json puts only the summary on stdout', async () => {
    const r = await runCli(
      ['scenario', file, '--reports-dir', reports, '-c', '2,4', '-d', '300ms', '--trials', '1', '--warmup', '0', '--system', 'srv', '--json'],
      30_000,
      { CI: 'true' },
    );
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout) as RunSummary;
    expect(summary).toMatchObject({ schema: 'muxbench.summary/1', scenario: 'cli-options', status: 'complete', exitCode: 0, quick: false });
    expect(summary.points.map((p) => [p.system, p.params])).toEqual([
      ['srv', { concurrency: 2 }],
      ['srv', { concurrency: 4 }],
    ]);
    for (const p of summary.points) {
      expect(['ok', 'not-steady']).toContain(p.status);
      expect(p.requestsPerSec).toBeGreaterThan(0);
      expect(p.p99Us).toBeGreaterThanOrEqual(p.p50Us!);
      expect(p.errors).toBe(0);
    }
    expect(existsSync(summary.report!)).toBe(true);
    // what ran is what results.json says ran, and why
    const results = JSON.parse(readFileSync(summary.results, 'utf8')) as ResultsFile;
    expect(results.overrides).toEqual({
      systems: ['srv'],
      set: [
        { key: 'concurrency', values: [2, 4] },
        { key: 'durationMs', values: [300] },
        { key: 'trials', values: [1] },
        { key: 'warmupMs', values: [0] },
      ],
    });
    expect(results.scenario.definition).toMatchObject({ durationMs: 300, trials: 1, warmupMs: 0, sweep: { concurrency: [2, 4] }, systems: [{ id: 'srv' }] });
    expect(results.settings).toMatchObject({ durationMs: 300, trials: 1 });
    // and the report says so
    expect(readFileSync(summary.report!, 'utf8')).toContain(
      '<dt>changed on the command line</dt><dd><code>--system srv; concurrency=2,4; durationMs=300; trials=1; warmupMs=0</code>',
    );
    // people's output went to stderr: progress in human units, then the table
    expect(r.stderr).toMatch(/^\[1\/2\] srv \(concurrency=2\): [\d,]+ req\/s, p99 [\d.]+ (µs|ms)$/m);
    expect(r.stderr).toMatch(/^system +concurrency +req\/s +p50 +p99 +errors +status$/m);
  });

  it('exits 1 when a point failed, with the reason below the table; --quiet prints only the summary', async () => {
    const r = await runCli(['scenario', file, '--reports-dir', reports, '--system', 'broken', '-c', '1', '-q']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const [table, reasons] = r.stdout.trim().split('\n\n');
    expect(table).toMatch(/^broken +1 +- +- +- +- +failed$/m);
    for (const line of table!.split('\n')) expect(line.length).toBeLessThan(80);
    // the long reason wrapped below the table, not in it
    expect(reasons).toMatch(/^broken \(concurrency=1\), failed: .*boom: no config file[\s\S]*\n {4}.*exited \(code 3\) before it was ready$/);
    for (const line of reasons!.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    expect(r.stdout).toMatch(/^results: .*results\.json$/m);
    // --json --quiet: the JSON and nothing else
    const j = await runCli(['scenario', file, '--reports-dir', reports, '--system', 'broken', '-c', '1', '--json', '--quiet']);
    expect(j.code).toBe(1);
    expect(j.stderr).toBe('');
    const summary = JSON.parse(j.stdout) as RunSummary;
    expect(summary.exitCode).toBe(1);
    expect(summary.points).toEqual([
      expect.objectContaining({
        system: 'broken',
        params: { concurrency: 1 },
        status: 'failed',
        reason: expect.stringMatching(/exited \(code 3\) before it was ready/),
        requestsPerSec: null,
      }),
    ]);
  });

  it('refuses bad values with the checks the file gets, unknown systems with the list, and runs nothing: exit 2', async () => {
    const runs = await Promise.all([
      runCli(['scenario', file, '--reports-dir', join(dir, 'none'), '-c', '0,2.5']),
      runCli(['scenario', file, '--reports-dir', join(dir, 'none'), '--system', 'srv,nope']),
      runCli(['scenario', file, '--reports-dir', join(dir, 'none'), '--set', 'streamLimit=10,100']),
      runCli(['scenario', file, '--reports-dir', join(dir, 'none'), '-d', '10 seconds']),
    ]);
    for (const r of runs) {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
    }
    expect(runs[0]!.stderr).toContain(
      `${file} (with concurrency=0,2.5 from the command line) is not a valid scenario:\n  - sweep.concurrency: 0 is not a whole number ≥ 1\n  - sweep.concurrency: 2.5 is not a whole number ≥ 1\n`,
    );
    expect(runs[1]!.stderr).toBe(`muxbench scenario: ${file}: --system: no system 'nope' in this scenario; its systems: srv, broken\n`);
    expect(runs[2]!.stderr).toMatch(/--set streamLimit: applies to h2-tunnel systems, and this scenario runs none \(srv: http-grpc, broken: external\)/);
    expect(runs[3]!.stderr).toBe("muxbench scenario: --duration takes a duration like 500ms, 10s or 2m, got '10 seconds' (see muxbench scenario --help)\n");
    expect(existsSync(join(dir, 'none'))).toBe(false);
  });

  it('exits 143 on SIGTERM, keeping the points measured so far, and leaves no process behind', async () => {
    const out = join(dir, 'sigterm');
    const child = spawn(
      process.execPath,
      [MUXBENCH_BIN, 'scenario', file, '--reports-dir', out, '--system', 'srv', '-c', '1,2,3,4,5,6', '-d', '300ms', '--trials', '1', '--warmup', '0'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: 'true' },
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 200 && !/\[1\/6\]/.test(stderr); i++) await new Promise((r) => setTimeout(r, 50));
    const family = descendants(child.pid!);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(stderr).toMatch(/SIGTERM: stopping; results so far are kept/);
    const run = readdirSync(join(out, 'cli-options'))[0]!;
    const results = JSON.parse(readFileSync(join(out, 'cli-options', run, 'results.json'), 'utf8')) as ResultsFile;
    expect(results.status).toBe('aborted');
    expect(results.points.length).toBeGreaterThanOrEqual(1);
    expect(results.points.length).toBeLessThan(6);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(family)).toEqual([]);
  });
});
