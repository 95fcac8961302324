/**
 * The runner as users meet it: a system that never becomes ready or dies mid-trial fails its point (with
 * its reason and stderr) and the run goes on; results are on disk after every point; Ctrl-C keeps what
 * was measured; no process outlives a run.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import { MUXBENCH_BIN } from '../../src/run/supervise.ts';
import { runScenario } from '../../src/run/runner.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';
import { stopAll } from '../helpers/cli.ts';
import { alive, descendants, leftBehind } from '../helpers/procs.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

describe('runner', () => {
  it('fails the point of a system that never becomes ready or dies, and runs the next point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-run-'));
    const node = process.execPath;
    const file = scenarioFile(dir, 'crashes', {
      description: 'broken systems between good ones',
      systems: [
        { id: 'never-ready', kind: 'external', protocol: 'http1', command: [node, '-e', "console.error('boom: no config file'); process.exit(3)"] },
        {
          id: 'dies',
          kind: 'external',
          protocol: 'http2',
          // a real origin, passed through, that is killed 1 s after it is ready: mid-trial
          command: [
            node,
            '-e',
            `const c = require('child_process').spawn(process.execPath, [${JSON.stringify(MUXBENCH_BIN)}, 'serve', 'origin', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
             c.stdout.once('data', (d) => { process.stdout.write(d); setTimeout(() => { console.error('origin went away'); c.kill('SIGKILL'); process.exit(1); }, 1000); });`,
          ],
          urlKey: 'http',
        },
        { id: 'good', kind: 'http-grpc', mode: 'streaming' },
      ],
      load: { model: 'closed', concurrency: 4 },
      warmupMs: 100,
      durationMs: 2000,
      trials: 1,
    });
    const { results, resultsPath } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    expect(results.status).toBe('complete');
    const [never, dies, good] = results.points;
    expect(never!.status).toBe('failed');
    expect(never!.reason).toMatch(/exited \(code 3\) before it was ready/);
    expect(never!.stderrTail).toMatch(/boom: no config file/);
    expect(dies!.status).toBe('failed');
    expect(dies!.reason).toMatch(/exited during the trial/);
    expect(dies!.stderrTail).toMatch(/origin went away/);
    expect(good!.status, good!.reason).toBe('ok');
    expect(good!.summary!.requestsPerSec.median).toBeGreaterThan(0);
    expect(good!.summary!.errorRate).toBe(0);
    // warmed until steady, then measured with its series and the server's CPU time per request
    expect(good!.warmup!.steady).toBe(true);
    expect(good!.warmup!.series.length).toBeGreaterThanOrEqual(15);
    expect(good!.trials[0]!.series!.length).toBeGreaterThanOrEqual(15);
    expect(good!.trials[0]!.processes.server!.cpuUsPerRequest).toBeGreaterThan(0);
    expect(good!.summary!.systemCpuUsPerRequest).toBeGreaterThan(0);
    // what is on disk is what was returned
    const onDisk = JSON.parse(readFileSync(resultsPath, 'utf8')) as ResultsFile;
    expect(onDisk.points.map((p) => p.status)).toEqual(['failed', 'failed', 'ok']);
    expect(onDisk.environment.node).toBe(process.version);
    // What is left may only be the esbuild service that compiles TypeScript for this very test process.
    expect(leftBehind()).toEqual([]);
    // ~11 s alone; three systems, the last warmed up until steady, take three times that under the whole suite
  }, 90_000);

  it('measures an external server named by URL, with system resources left empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-run-'));
    const { startSystem } = await import('../../src/run/supervise.ts');
    const origin = await startSystem('origin', ['--port', '0']);
    try {
      const file = scenarioFile(dir, 'external-url', {
        description: 'an origin someone else started',
        systems: [{ id: 'theirs', kind: 'external', protocol: 'http1', url: origin.ready.urls.http }],
        // each call held 5 ms at the origin: two in flight cannot keep the load engine busy, so the point
        // is the server's ('ok'), never 'generator-bound', however loaded the machine is
        workload: { call: 'sleep', delayMs: 5, payloadBytes: 1000 },
        load: { model: 'closed', concurrency: 2 },
        warmupMs: 100,
        durationMs: 500,
        trials: 2,
      });
      const { results } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
      const [p] = results.points;
      expect(p!.status).toBe('ok');
      expect(p!.trials).toHaveLength(2);
      expect(p!.summary!.errorRate).toBe(0);
      expect(p!.trials[0]!.processes).toEqual({});
      expect(p!.warmup!.steady).toBe(true);
    } finally {
      await origin.stop();
    }
  });

  it('measures a point whose throughput never settles, but marks it not-steady with the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-run-'));
    // replies keep getting faster (50 ms at the start, 10 ms after 2 s): throughput never stops climbing;
    // each reply is empty, the echo of the empty body the load sends
    const t0 = performance.now();
    const server = trackConnections(
      createServer((req, res) => {
        req.resume();
        setTimeout(() => res.end(), 50 / (1 + (2 * (performance.now() - t0)) / 1000));
      }),
    );
    const port = await listen(server, '127.0.0.1', 0);
    try {
      const file = scenarioFile(dir, 'unsettled', {
        description: 'a server that never settles',
        systems: [{ id: 'swinging', kind: 'external', protocol: 'http1', url: `http://127.0.0.1:${port}`, paths: { echo: '/' } }],
        workload: { call: 'echo', payloadBytes: 0 },
        load: { model: 'closed', concurrency: 8 },
        warmupMs: 300,
        maxWarmupMs: 2000,
        durationMs: 500,
        trials: 1,
      });
      const { results } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
      const [p] = results.points;
      expect(p!.status, p!.reason).toBe('not-steady');
      expect(p!.reason).toMatch(/throughput had not settled after 2\.\d s of warm-up/);
      expect(p!.warmup!.steady).toBe(false);
      expect(p!.trials).toHaveLength(1);
      expect(p!.trials[0]!.requests).toBeGreaterThan(0);
    } finally {
      await closeServer(server);
    }
  });

  it('keeps the results measured so far on Ctrl-C, marks the run aborted, and leaves no process behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-run-'));
    const reports = join(dir, 'reports');
    const file = scenarioFile(dir, 'interrupted', {
      description: 'long enough to interrupt',
      systems: [{ id: 'srv', kind: 'http-grpc', mode: 'streaming' }],
      load: { model: 'closed', concurrency: 8 },
      warmupMs: 100,
      durationMs: 700,
      trials: 1,
      sweep: { concurrency: [1, 2, 4, 8, 16, 32, 64, 128] },
    });
    const child = spawn(process.execPath, [MUXBENCH_BIN, 'scenario', file, '--reports-dir', reports], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: 'true' },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const resultsFile = (): string | null => {
      const runDir = join(reports, 'interrupted');
      if (!existsSync(runDir)) return null;
      const [run] = readdirSync(runDir);
      return run ? join(runDir, run, 'results.json') : null;
    };
    let family: number[] = [];
    for (let i = 0; i < 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const f = resultsFile();
      if (f && existsSync(f) && (JSON.parse(readFileSync(f, 'utf8')) as ResultsFile).points.length >= 2) break;
    }
    family = descendants(child.pid!);
    expect(family.length).toBeGreaterThan(0); // a system and a load worker were running
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const results = JSON.parse(readFileSync(resultsFile()!, 'utf8')) as ResultsFile;
    expect(results.status).toBe('aborted');
    expect(results.points.length).toBeGreaterThanOrEqual(2);
    expect(results.points.length).toBeLessThan(8);
    expect(results.points[0]!.status).toBe('ok');
    const last = results.points[results.points.length - 1]!;
    if (last.status === 'failed') expect(last.reason).toMatch(/^interrupted/);
    expect(stderr).toMatch(/\[1\/8\] srv \(concurrency=1\)/); // plain progress lines in CI
    expect(stderr).toMatch(/SIGINT: stopping; results so far are kept/);
    await new Promise((r) => setTimeout(r, 300));
    expect(alive(family)).toEqual([]);
  });
});
