/**
 * Many machines on Kubernetes (issue 15, part 4), tested here without a cluster: `muxbench k8s` writes a
 * ConfigMap and an Indexed Job that pass the Kubernetes schema (and a broken one does not); the plan in the
 * ConfigMap is run by the pods' entry point, `muxbench load-worker --plan`, N times on this machine against
 * a real server; `muxbench merge` makes the partials one results.json — its histogram is the workers'
 * merged — that `report` and `compare` read. Bad input is refused by name.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type IJob, Job } from 'kubernetes-models/batch/v1';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { PartialResult, WorkerPlan } from '../../src/load/plan.ts';
import { mergeHistograms } from '../../src/measure/histogram.ts';
import type { ResultsFile } from '../../src/measure/results.ts';
import { MergeError, mergePartials, readPartials } from '../../src/run/merge.ts';
import { closeServer, listen, trackConnections } from '../../src/systems/serve.ts';
import { leftBehind } from '../helpers/procs.ts';
import { runCli, stopAll } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'muxbench-k8s-'));
const server = trackConnections(
  createServer((req, res) => {
    // the origin's /delay/{ms}: echo the body after the delay
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => void setTimeout(() => res.end(Buffer.concat(chunks)), Number(/\/delay\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0)));
  }),
);
let listening: Promise<string> | undefined;
/** The server's URL (it listens the first time it is asked for). */
function serverUrl(): Promise<string> {
  listening ??= listen(server, '127.0.0.1', 0).then((port) => `http://127.0.0.1:${port}`);
  return listening;
}
afterAll(async () => {
  stopAll();
  await closeServer(server);
});

function scenario(url: string, extra: object = {}): string {
  const file = join(dir, `ext-${Math.random().toString(36).slice(2, 8)}.ts`);
  const body = {
    name: 'ext',
    description: 'an external HTTP/1.1 server, loaded from workers on their own',
    systems: [{ id: 'svc', kind: 'external', protocol: 'http1', url }],
    workload: { call: 'sleep', delayMs: 5, payloadBytes: 64 },
    load: { model: 'closed', concurrency: 8 },
    warmupMs: 300,
    maxWarmupMs: 1500,
    durationMs: 1000,
    trials: 2,
    ...extra,
  };
  writeFileSync(file, `export default ${JSON.stringify(body)};\n`);
  return file;
}

function manifests(file: string): { configMap: IConfigMap; job: IJob } {
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJSON() as { kind: string });
  expect(docs.map((d) => d.kind)).toEqual(['ConfigMap', 'Job']);
  return { configMap: docs[0] as IConfigMap, job: docs[1] as IJob };
}

describe('muxbench k8s and merge', () => {
  it('writes an Indexed Job and its plan that pass the Kubernetes schema; a broken one does not', async () => {
    const out = join(dir, 'schema.yaml');
    const r = await runCli(['k8s', scenario('http://target.example:8080'), '--workers', '3', '--image', 'registry.example/muxbench:1', '-o', out]);
    expect(r.stderr).toContain('kubectl apply -f');
    expect(r.code).toBe(0);
    const { configMap, job } = manifests(out);
    // the very objects, read back, validate against the schema kubernetes-models carries
    expect(() => new ConfigMap(configMap).validate()).not.toThrow();
    expect(() => new Job(job).validate()).not.toThrow();
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimit: 0 });
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.command).toEqual(['node', 'bin/muxbench.js', 'load-worker', '--plan', '/etc/muxbench/plan.json']);
    expect(container.image).toBe('registry.example/muxbench:1');
    const plan = JSON.parse(configMap.data!['plan.json']!) as WorkerPlan;
    expect(plan).toMatchObject({ workers: 3, model: { kind: 'closed', concurrency: 8 }, trials: 2, durationMs: 1000 });
    expect(plan.spec).toMatchObject({ protocol: 'http1', url: 'http://target.example:8080', path: '/delay/5' });
    expect(job.spec!.activeDeadlineSeconds).toBeGreaterThan((plan.startAt - Date.now()) / 1000);
    // the validator is real: a wrong type or a missing image is refused
    expect(() => new Job({ ...job, spec: { ...job.spec!, completions: 'three' as unknown as number } }).validate()).toThrow(/completions must be integer/);
    const unnamed = structuredClone(job);
    unnamed.spec!.template.spec!.containers[0]!.name = 42 as unknown as string;
    expect(() => new Job(unnamed).validate()).toThrow(/name must be string/);
  }, 30_000);

  it('refuses by name what it cannot run: a reference system, a bad url, a load that cannot be split, no image', async () => {
    const origin = join(dir, 'origin.ts');
    writeFileSync(
      origin,
      `export default ${JSON.stringify({ name: 'o', description: 'x', systems: [{ id: 'origin', kind: 'origin' }], load: { model: 'closed', concurrency: 4 } })};\n`,
    );
    const cases: [string[], RegExp][] = [
      [['k8s', origin, '--workers', '2', '--image', 'i'], /reference system \(origin\).*kind 'external'/],
      [['k8s', scenario('http://t:1'), '--workers', '2', '--image', 'i', '--url', 'not a url'], /--url: 'not a url' is not a URL/],
      [['k8s', scenario('http://t:1'), '--workers', '9', '--image', 'i'], /a concurrency of 8 cannot be split over 9 load workers/],
      [['k8s', scenario('http://t:1'), '--workers', '2'], /--image is required/],
      [['k8s', scenario('http://t:1'), '--workers', '2', '--image', 'i', '--name', 'Not_A_Label'], /--name: 'Not_A_Label' is not a DNS label/],
      [
        ['k8s', scenario('http://t:1', { sweep: { concurrency: [4, 8] } }), '--workers', '2', '--image', 'i'],
        /has 2 points: name one with --point \(0: svc \(concurrency=4\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(2);
    }
  }, 60_000);

  it('runs the pods’ entry point N times here, merges the partials into one run that report and compare read', async () => {
    const out = join(dir, 'local.yaml');
    expect((await runCli(['k8s', scenario(await serverUrl()), '--workers', '2', '--image', 'i', '--start-in', '2s', '-o', out])).code).toBe(0);
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, manifests(out).configMap.data!['plan.json']!);
    // as two pods would: worker 0 by --index, worker 1 by the Indexed Job's variable
    const [w0, w1] = await Promise.all([
      runCli(['load-worker', '--plan', planFile, '--index', '0', '--out', join(dir, 'p0.json')], 30_000),
      runCli(['load-worker', '--plan', planFile], 30_000, { JOB_COMPLETION_INDEX: '1' }),
    ]);
    expect(w0.stderr).toBe('');
    expect(w0.code).toBe(0);
    expect(w1.code).toBe(0);
    // worker 1's partial comes from its log, as kubectl logs gives it, with pod prefixes
    const log = join(dir, 'pods.log');
    writeFileSync(
      log,
      w1.stdout
        .split('\n')
        .map((l) => (l ? `[pod/muxbench-ext-1-x] ${l}` : l))
        .join('\n'),
    );
    const partials: PartialResult[] = [...readPartials(join(dir, 'p0.json')), ...readPartials(log)];
    expect(partials.map((p) => p.worker.index).sort()).toEqual([0, 1]);

    const results = join(dir, 'results.json');
    const merged = await runCli(['merge', join(dir, 'p0.json'), log, '-o', results]);
    expect(merged.stderr).toBe('');
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(/merged 2 workers × 2 trials/);
    const run = JSON.parse(readFileSync(results, 'utf8')) as ResultsFile;
    expect(run.settings.loadWorkers).toBe(2);
    expect(run.environment.loadHosts).toHaveLength(2);
    const [point] = run.points;
    expect(point!.trials).toHaveLength(2);
    for (const [k, t] of point!.trials.entries()) {
      const parts = partials.sort((a, b) => a.worker.index - b.worker.index).map((p) => p.trials[k]!.result);
      expect(t.requests).toBe(parts[0]!.requests + parts[1]!.requests);
      // the trial's latency is that of both workers' samples together
      const both = mergeHistograms(parts.map((p) => p.histogram))!.histogram;
      expect(t.latency.p99Us).toBe(both.getValueAtPercentile(99));
      expect(t.latency.count).toBe(both.totalCount);
      // 8 calls of 5 ms in flight: Little's law holds for the merged figures
      const inFlight = t.requestsPerSec * (t.latency.meanUs / 1e6);
      expect(inFlight).toBeGreaterThan(8 * 0.8);
      expect(inFlight).toBeLessThanOrEqual(8 * 1.05);
      expect(Math.abs(t.workers![0]!.openedAt! - t.workers![1]!.openedAt!)).toBeLessThan(250);
    }
    expect(point!.summary!.p50Us.median).toBeGreaterThanOrEqual(5000);

    const report = await runCli(['report', results]);
    expect(report.code).toBe(0);
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('svc');
    const compare = await runCli(['compare', results, results]);
    expect(compare.code).toBe(0);
    expect(compare.stdout).toMatch(/no significant regression/);

    // what must not merge: a missing worker, one worker twice, another plan's partial
    expect(() => mergePartials([partials[0]!], 'x')).toThrow(/has 2 workers; missing: 1/);
    expect(() => mergePartials([partials[0]!, partials[0]!], 'x')).toThrow(/worker 0 appears twice/);
    expect(() => mergePartials([partials[0]!, { ...partials[1]!, planId: 'other' }], 'x')).toThrow(MergeError);
    expect(() => mergePartials([partials[0]!, { ...partials[1]!, trials: partials[1]!.trials.slice(1) }], 'x')).toThrow(/1 \(1 of 2 trials\)/);
    expect(() => mergePartials([partials[0]!, { ...partials[1]!, worker: { index: 1, count: 3 } }], 'x')).toThrow(
      /worker 1 of 3 does not fit the plan's 2 workers/,
    );
    // windows that opened 500 ms apart (over 10 % of a 1 s window) measured different moments: the point fails
    const apart = mergePartials([partials[0]!, { ...partials[1]!, trials: partials[1]!.trials.map((t) => ({ ...t, openedAt: t.openedAt! + 500 })) }], 'x');
    expect(apart.points[0]!.status).toBe('failed');
    expect(apart.points[0]!.reason).toMatch(/windows opened up to 5\d\d ms apart, over 10 % of a 1000 ms window/);
    // something that only looks like a partial is refused by name, never half-read
    const fake = join(dir, 'fake.json');
    writeFileSync(fake, JSON.stringify({ schema: 'muxbench.partial/1', planId: 'x' }));
    expect(() => readPartials(fake)).toThrow(/not a muxbench.partial\/1 partial result: plan/);
    expect(leftBehind()).toEqual([]);
  }, 90_000);

  it('a worker that starts late begins its own schedule: no burst of the arrivals it missed', async () => {
    const out = join(dir, 'late.yaml');
    const sc = scenario(await serverUrl(), { load: { model: 'open', ratePerSec: 50, maxInflight: 4 }, trials: 1, maxWarmupMs: 1000 });
    expect((await runCli(['k8s', sc, '--workers', '1', '--image', 'i', '-o', out])).code).toBe(0);
    const plan = JSON.parse(manifests(out).configMap.data!['plan.json']!) as WorkerPlan;
    // it should have begun 10 s ago: 500 arrivals were due before it was there
    const late = { ...plan, startAt: Date.now() - 10_000 };
    const planFile = join(dir, 'late-plan.json');
    writeFileSync(planFile, JSON.stringify(late));
    const w = await runCli(['load-worker', '--plan', planFile, '--index', '0', '--out', join(dir, 'late.json')], 30_000);
    expect(w.code).toBe(0);
    const [partial] = readPartials(join(dir, 'late.json'));
    expect(partial!.lateMs).toBeGreaterThanOrEqual(10_000);
    const dropped = partial!.warmup!.series.reduce((n, s) => n + s.dropped, 0);
    expect(dropped).toBe(0); // a catch-up burst would have dropped ~500 against maxInflight 4
    const sent = partial!.warmup!.series.reduce((n, s) => n + s.ok + s.errors, 0);
    expect(sent).toBeLessThan(50 * (partial!.warmup!.elapsedMs / 1000) * 1.5 + 10);
    // and a plan that would wait more than a day is refused
    writeFileSync(planFile, JSON.stringify({ ...plan, startAt: Date.now() + 2 * 86_400_000 }));
    const far = await runCli(['load-worker', '--plan', planFile, '--index', '0']);
    expect(far.code).toBe(2);
    expect(far.stderr).toMatch(/more than a day from now/);
  }, 60_000);

  it('refuses a plan that is not one, and an index outside the plan', async () => {
    const bad = join(dir, 'bad-plan.json');
    writeFileSync(bad, JSON.stringify({ schema: 'muxbench.worker-plan/1', id: 'x', workers: 'two' }));
    const r = await runCli(['load-worker', '--plan', bad, '--index', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a muxbench.worker-plan\/1 plan/);
    const none = await runCli(['load-worker', '--plan', join(dir, 'missing.json'), '--index', '0']);
    expect(none.stderr).toMatch(/cannot read the plan/);
    const noIndex = await runCli(['load-worker', '--plan', bad]);
    expect(noIndex.stderr).toMatch(/--index I or JOB_COMPLETION_INDEX/);
    const m = await runCli(['merge', bad, '-o', join(dir, 'r.json')]);
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/no partial result in it/);
  }, 30_000);
});
