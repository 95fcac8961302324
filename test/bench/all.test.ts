/**
 * `make bench` (bench/all.ts) agrees with `muxbench scenario` on exit statuses: every scenario runs and the
 * index is written, then 1 when a point failed; SIGTERM is passed on to the scenario running, which keeps
 * its points, and the script exits 143. Run on tiny scenarios, without the microbenchmarks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import { alive, descendants } from '../helpers/procs.ts';
import { scenarioFile } from '../helpers/scenarios.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'muxbench-bench-all-'));
const children = new Set<ChildProcess>();

afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

const good = (name: string, sweep: number[]): string =>
  scenarioFile(dir, name, {
    description: 'a fast server',
    systems: [{ id: 'srv', kind: 'http-grpc', mode: 'streaming' }],
    load: { model: 'closed', concurrency: 2 },
    warmupMs: 0,
    maxWarmupMs: 1000,
    durationMs: 300,
    trials: 1,
    sweep: { concurrency: sweep },
  });
const broken = scenarioFile(dir, 'broken', {
  description: 'a system that never starts',
  systems: [{ id: 'never', kind: 'external', protocol: 'http1', command: [process.execPath, '-e', 'process.exit(3)'] }],
  load: { model: 'closed', concurrency: 1 },
  trials: 1,
});

function bench(args: string[]): { child: ChildProcess; stderr: () => string; done: Promise<{ code: number | null; stdout: string }> } {
  const child = spawn(process.execPath, [join(ROOT, 'bin/run-ts.js'), 'bench/all.ts', '--no-micro', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; stdout: string }>((resolve) => child.on('exit', (code) => resolve({ code, stdout })));
  return { child, stderr: () => stderr, done };
}

const runsOf = (reports: string, name: string): ResultsFile[] =>
  existsSync(join(reports, name))
    ? readdirSync(join(reports, name)).map((run) => JSON.parse(readFileSync(join(reports, name, run, 'results.json'), 'utf8')) as ResultsFile)
    : [];

describe('bench/all.ts exit status', () => {
  it('runs every scenario after one with a failed point, writes the index, and exits 1', async () => {
    const reports = join(dir, 'reports-failed');
    const okFile = good('fine', [2]);
    const { done, stderr } = bench(['--scenario', broken, '--scenario', okFile, '--reports-dir', reports]);
    const { code, stdout } = await done;
    expect(code, stderr()).toBe(1);
    expect(runsOf(reports, 'broken').map((r) => r.points.map((p) => p.status))).toEqual([['failed']]);
    expect(runsOf(reports, 'fine').map((r) => r.status)).toEqual(['complete']);
    expect(existsSync(join(reports, 'index.html'))).toBe(true);
    expect(stdout).toMatch(/^finished in \d+ s: 1 scenario\(s\) with failed points$/m);
    expect(stderr()).toMatch(/broken\.ts: some points failed; their reasons are in the report/);
  });

  it('passes SIGTERM to the scenario running, writes the index with what there is, and exits 143', async () => {
    const reports = join(dir, 'reports-stopped');
    const { child, done, stderr } = bench([
      '--scenario',
      good('long', [1, 2, 3, 4, 5, 6, 7, 8]),
      '--scenario',
      good('never-reached', [1]),
      '--reports-dir',
      reports,
    ]);
    for (let i = 0; i < 300 && !/\[1\/8\]/.test(stderr()); i++) await new Promise((r) => setTimeout(r, 50));
    const family = descendants(child.pid!);
    child.kill('SIGTERM');
    const { code, stdout } = await done;
    expect(code, stderr()).toBe(143);
    const [run] = runsOf(reports, 'long');
    expect(run!.status).toBe('aborted');
    expect(run!.points.length).toBeGreaterThanOrEqual(1);
    expect(runsOf(reports, 'never-reached')).toEqual([]);
    expect(existsSync(join(reports, 'index.html'))).toBe(true);
    expect(stdout).toMatch(/^finished in \d+ s: stopped by SIGTERM$/m);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(family)).toEqual([]);
  });
});
