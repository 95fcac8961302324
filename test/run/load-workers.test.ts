/**
 * One point's load from several load-worker processes (issue 15, part 2), against a real HTTP server on
 * loopback that answers after 10 ms: 1 worker and 2 workers, the same load, give the same merged figures
 * within noise; an open loop's rate split over workers keeps its schedule; each worker is pinned to its own
 * core of the load set; a scenario records its workers, and a load that cannot be split is refused before
 * anything starts. Nothing is left running.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineSpec } from '../../src/load/engine.ts';
import type { LoadModel } from '../../src/load/types.ts';
import { DEFAULT_STEADY_POLICY } from '../../src/measure/steady.ts';
import { allowedCpus, coreCount, tasksetAvailable } from '../../src/os/cpus.ts';
import { LoadWorkers, workerCpus } from '../../src/run/load-workers.ts';
import { runScenario } from '../../src/run/runner.ts';
import { ScenarioError } from '../../src/scenario/index.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';
import { alive, descendants, leftBehind } from '../helpers/procs.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

const DELAY_MS = 10;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function slowServer(): Promise<string> {
  const s = trackConnections(createServer((_req, res) => void setTimeout(() => res.end('ok'), DELAY_MS)));
  const port = await listen(s, '127.0.0.1', 0);
  cleanups.push(() => closeServer(s));
  return `http://127.0.0.1:${port}`;
}

function spec(url: string, connections: number): EngineSpec {
  return { protocol: 'http1', engine: 'default', url, method: 'GET', path: '/', bodyBytes: 0, expectStatus: 200, expectBody: { kind: 'none' }, connections };
}

const policy = { ...DEFAULT_STEADY_POLICY, minMs: 500, maxMs: 4000 };

/** A warm-up and one 1.5 s window from `workers` workers. */
async function measure(url: string, model: LoadModel, workers: number, loadCpu?: string) {
  const gang = await LoadWorkers.open(spec(url, 8), model, workers, loadCpu);
  try {
    const warm = await gang.warmUp(policy);
    return { warm, trial: await gang.trial(1500) };
  } finally {
    await gang.close();
  }
}

describe('load workers', () => {
  it('1 worker and 2 workers give the same merged figures for the same closed-loop load', async () => {
    const url = await slowServer();
    const model: LoadModel = { kind: 'closed', concurrency: 8 };
    const one = await measure(url, model, 1);
    const two = await measure(url, model, 2);
    expect(one.trial.workers).toBeUndefined();
    expect(two.trial.workers!.map((w) => w.requests).reduce((a, b) => a + b)).toBe(two.trial.requests);
    expect(two.trial.latency.count).toBe(two.trial.requests);
    for (const r of [one, two]) {
      // 8 calls of 10 ms in flight: ~800/s, p50 just over 10 ms (Little's law)
      expect(r.trial.latency.p50Us).toBeGreaterThanOrEqual(DELAY_MS * 1000);
      expect(r.trial.latency.p50Us).toBeLessThan(DELAY_MS * 1000 * 1.6);
      expect(r.trial.requestsPerSec * (r.trial.latency.meanUs / 1e6)).toBeGreaterThan(8 * 0.8);
      expect(r.trial.requestsPerSec * (r.trial.latency.meanUs / 1e6)).toBeLessThanOrEqual(8 * 1.05);
    }
    expect(two.trial.latency.p50Us / one.trial.latency.p50Us).toBeGreaterThan(0.8);
    expect(two.trial.latency.p50Us / one.trial.latency.p50Us).toBeLessThan(1.25);
    expect(two.trial.requestsPerSec / one.trial.requestsPerSec).toBeGreaterThan(0.8);
    expect(two.trial.requestsPerSec / one.trial.requestsPerSec).toBeLessThan(1.25);
    // the windows opened at one instant
    const opened = two.trial.workers!.map((w) => w.openedAt!);
    expect(Math.max(...opened) - Math.min(...opened)).toBeLessThan(250);
    expect(leftBehind()).toEqual([]);
  }, 60_000);

  it('splits an open loop’s rate without losing the schedule: the merged rate is the asked one', async () => {
    const url = await slowServer();
    const rate = 400;
    const { trial } = await measure(url, { kind: 'open', ratePerSec: rate, maxInflight: 200 }, 2);
    expect(trial.workers).toHaveLength(2);
    expect(trial.dropped).toBe(0);
    // 400/s over 1.5 s from two workers of 200/s each
    expect(trial.requests).toBeGreaterThan(rate * 1.5 * 0.85);
    expect(trial.requests).toBeLessThan(rate * 1.5 * 1.15);
    for (const w of trial.workers!) expect(w.requests).toBeGreaterThan(rate * 0.75 * 0.85 * 0.9);
    expect(trial.latency.p50Us).toBeGreaterThanOrEqual(DELAY_MS * 1000);
    expect(trial.latency.p50Us).toBeLessThan(DELAY_MS * 1000 * 2);
  }, 60_000);

  it('pins worker i to the i-th core of the load set', async () => {
    expect(workerCpus(undefined, 2)).toEqual([undefined, undefined]);
    expect(workerCpus('0-1', 1)).toEqual(['0-1']);
    if (!tasksetAvailable() || coreCount() < 2) return;
    expect(workerCpus('0-1', 3)).toEqual(['0', '1', '0']);
    const url = await slowServer();
    const gang = await LoadWorkers.open(spec(url, 2), { kind: 'closed', concurrency: 2 }, 2, '0-1');
    try {
      const workers = alive(descendants(process.pid)).filter((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('load-worker'));
      const sets = workers.map((p) => allowedCpus(p)).sort();
      expect(sets).toEqual(['0', '1']);
    } finally {
      await gang.close();
    }
  }, 30_000);

  it('a scenario splits each point over its loadWorkers, records them, and refuses a load that cannot be split', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-workers-'));
    const body = {
      description: 'an origin, its load from two workers',
      systems: [{ id: 'origin', kind: 'origin' }],
      load: { model: 'closed', concurrency: 4 },
      loadWorkers: 2,
      warmupMs: 200,
      maxWarmupMs: 2000,
      durationMs: 500,
      trials: 2,
    };
    const { results } = await runScenario({ scenario: scenarioFile(dir, 'workers', body), reportsDir: join(dir, 'reports'), progress: quiet });
    expect(results.settings.loadWorkers).toBe(2);
    const [point] = results.points;
    expect(point!.status).not.toBe('failed');
    for (const t of point!.trials) {
      expect(t.workers).toHaveLength(2);
      expect(t.workers!.reduce((s, w) => s + w.requests, 0)).toBe(t.requests);
      // the load set is one core here (or unpinned): the generator is judged by that core, the workers added up
      const sum = Math.round(t.workers!.reduce((n, w) => n + w.generatorCpu, 0) * 1000) / 1000;
      const pinned = t.workers!.every((w) => w.cpu !== undefined);
      expect(t.generatorCpu).toBeCloseTo(pinned ? sum : Math.max(...t.workers!.map((w) => w.generatorCpu)), 2);
    }
    const refused = scenarioFile(dir, 'too-many', { ...body, load: { model: 'closed', concurrency: 1 } });
    await expect(runScenario({ scenario: refused, reportsDir: join(dir, 'reports'), progress: quiet })).rejects.toThrow(ScenarioError);
    await expect(runScenario({ scenario: refused, reportsDir: join(dir, 'reports'), progress: quiet })).rejects.toThrow(
      /loadWorkers: a concurrency of 1 cannot be split over 2 load workers/,
    );
    expect(leftBehind()).toEqual([]);
  }, 90_000);
});
