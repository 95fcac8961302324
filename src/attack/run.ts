/**
 * A run of the attack suite: for each target (started here when it is a reference system), a
 * well-behaved load in its own process, and then each pattern in turn —
 *
 *   baseline (load only) → attack (pattern traffic, then its observation window) → recovery (until the
 *   first success after the attack, bounded) → a short settle
 *
 * with the target's CPU and memory sampled across the phases. A target that crashes or does not serve
 * again is restarted before the next pattern when muxbench started it, so every pattern meets a healthy
 * target; otherwise the patterns after it are skipped. Results are written after every pattern.
 */
import { join } from 'node:path';
import { environment, placement } from '../run/environment.ts';
import { writeJsonAtomic } from '../run/persist.ts';
import { Budget, sleep } from './budget.ts';
import { destroyAllPeers } from './engagement.ts';
import { AttackInputError } from './errors.ts';
import { LoadProcess } from './load-process.ts';
import { type ParamOverrides, resolveParams } from './params.ts';
import { type Answer, type Observation, type Pattern, patternById } from './patterns/index.ts';
import { ATTACK_SCHEMA, type AttackResults, type AttackSettings, type PatternOutcome, type TargetResult } from './results.ts';
import { serviceOf } from './service.ts';
import { checkTarget, type RunningTarget, startTarget, targetName, type TargetSpec } from './targets.ts';
import { UsageSampler } from './usage-sampler.ts';
import { DEFAULT_LIMITS, judgeOutcome } from './verdict.ts';

export type RunSettings = Omit<AttackSettings, 'pinned'>;

export const DEFAULT_SETTINGS: RunSettings = {
  warmupMs: 2000,
  baselineMs: 1000,
  attackMs: 10_000,
  observeMs: 1000,
  recoveryMs: 5000,
  maxAttackBytes: 64 * 1024 * 1024,
  scale: 1,
  restartEach: false,
  allowRemote: false,
  load: { concurrency: 16, connections: 2, requestTimeoutMs: 3000 },
  limits: DEFAULT_LIMITS,
};

export interface AttackOptions {
  targets: TargetSpec[];
  /** pattern ids, in the order to run */
  patterns: string[];
  overrides: ParamOverrides;
  settings: RunSettings;
  /** results go to <reportsDir>/attack/<run-id>/ */
  reportsDir: string;
  runId?: string;
  signal?: AbortSignal;
  /** one line per pattern and target, as it happens */
  progress?: (line: string) => void;
}

export interface AttackRun {
  results: AttackResults;
  resultsPath: string;
}

/** After the first success of the recovery, the load and the sampler run this much longer: what the attack left behind. */
const SETTLE_MS = 500;
const RECOVERY_POLL_MS = 25;

export function newRunId(now = new Date()): string {
  return now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace('T', '_')
    .replace(/:/g, '-');
}

export async function runAttack(o: AttackOptions): Promise<AttackRun> {
  const patterns = o.patterns.map((id) => {
    const p = patternById(id);
    if (p === undefined) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', `unknown pattern '${id}' (muxbench attack --list shows them)`);
    return p;
  });
  if (patterns.length === 0) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', 'no patterns to run');
  if (o.targets.length === 0) throw new AttackInputError('MUX_ERR_ATTACK_USAGE', 'no target to attack');
  // Every target is checked (loopback, binaries) before anything is started or sent.
  for (const t of o.targets) await checkTarget(t, o.settings.allowRemote);

  const where = placement();
  const settings: AttackSettings = { ...o.settings, pinned: { targetCpu: where.systemCpu ?? null, loadCpu: where.loadCpu ?? null } };
  const params = new Map(patterns.map((p) => [p.id, resolveParams(p, settings.scale, o.overrides)]));
  const runId = o.runId ?? newRunId();
  const results: AttackResults = {
    schema: ATTACK_SCHEMA,
    runId,
    status: 'running',
    startedAt: new Date().toISOString(),
    environment: environment(),
    settings,
    patterns: patterns.map((p) => ({
      id: p.id,
      title: p.title,
      cve: p.cve,
      year: p.year,
      summary: p.summary,
      expected: p.expected,
      rfc: p.rfc,
      params: params.get(p.id)!,
    })),
    targets: [],
  };
  const resultsPath = join(o.reportsDir, 'attack', runId, 'results.json');
  const save = (): void => writeJsonAtomic(resultsPath, results);
  save();

  for (const spec of o.targets) {
    if (o.signal?.aborted) break;
    const tr: TargetResult = { name: targetName(spec), kind: spec.kind, description: '', url: null, roles: [], attackedRole: null, restarts: 0, outcomes: [] };
    results.targets.push(tr);
    await attackTarget(spec, tr, patterns, params, settings, o, save);
    save();
  }
  results.status = o.signal?.aborted ? 'aborted' : 'complete';
  results.finishedAt = new Date().toISOString();
  save();
  return { results, resultsPath };
}

interface Live {
  target: RunningTarget;
  load: LoadProcess;
}

async function bringUp(spec: TargetSpec, s: AttackSettings): Promise<Live> {
  const target = await startTarget(spec, s.pinned.targetCpu === null ? undefined : String(s.pinned.targetCpu));
  try {
    const load = await LoadProcess.start(
      {
        url: target.url,
        path: target.loadPath,
        concurrency: s.load.concurrency,
        connections: s.load.connections,
        timeoutMs: s.load.requestTimeoutMs,
        expectStatus: target.expectStatus,
        expectPatternBytes: target.expectPatternBytes,
      },
      s.pinned.loadCpu === null ? undefined : String(s.pinned.loadCpu),
    );
    await sleep(s.warmupMs);
    return { target, load };
  } catch (err) {
    await target.stop();
    throw err;
  }
}

async function bringDown(live: Live | null): Promise<void> {
  if (live === null) return;
  await live.load.stop();
  await live.target.stop();
}

async function attackTarget(
  spec: TargetSpec,
  tr: TargetResult,
  patterns: readonly Pattern[],
  params: Map<string, Record<string, number>>,
  s: AttackSettings,
  o: AttackOptions,
  save: () => void,
): Promise<void> {
  let live: Live | null = null;
  const skipRest = (from: number, reason: string): void => {
    for (const p of patterns.slice(from)) tr.outcomes.push(skipped(p.id, params.get(p.id)!, reason));
  };
  try {
    try {
      live = await bringUp(spec, s);
    } catch (err) {
      tr.startError = (err as Error).message;
      skipRest(0, `the target could not be started: ${tr.startError.split('\n')[0]}`);
      o.progress?.(`${tr.name}: could not start: ${tr.startError.split('\n')[0]}`);
      return;
    }
    const describe = (t: RunningTarget): void => {
      tr.description = t.description;
      tr.url = t.url;
      tr.roles = Object.keys(t.roles);
      tr.attackedRole = t.attackedRole;
    };
    describe(live.target);
    /** Stops and starts the target (and the load) again; false, with the rest skipped, when it cannot start. */
    const restart = async (from: number, why: string): Promise<boolean> => {
      await bringDown(live);
      live = null;
      try {
        live = await bringUp(spec, s);
      } catch (err) {
        skipRest(from, `the target could not be started again ${why}: ${(err as Error).message.split('\n')[0]}`);
        return false;
      }
      if (live.target.restartable) tr.restarts++;
      describe(live.target);
      return true;
    };
    let fresh = true;
    for (let i = 0; i < patterns.length; i++) {
      const p = patterns[i]!;
      if (o.signal?.aborted) return;
      if (s.restartEach && !fresh && live.target.restartable && !(await restart(i, `before ${p.id}`))) return;
      fresh = false;
      let outcome = await attackOnce(live, p, params.get(p.id)!, s);
      if (outcome.notServingBefore) {
        // Whatever the previous pattern did outlasted its recovery window: say so there.
        const previous = tr.outcomes[tr.outcomes.length - 1];
        if (previous !== undefined && previous.service !== null) {
          if (previous.verdict === 'held') previous.verdict = 'failed';
          previous.reasons.push('the target no longer served when the next pattern began: what this pattern did outlasted its recovery');
          o.progress?.(progressLine(tr.name, previous));
        }
        // One more try on a fresh target, so this pattern meets a healthy one.
        if (live.target.restartable) {
          if (previous !== undefined) previous.restartedAfter = true;
          if (!(await restart(i, `before ${p.id}`))) return;
          outcome = await attackOnce(live!, p, params.get(p.id)!, s);
        }
      }
      tr.outcomes.push(outcome);
      o.progress?.(progressLine(tr.name, outcome));
      save();
      const current: Live = live!;
      const loadFailed = current.load.failure !== null;
      const broken =
        loadFailed || current.target.gone() !== null || outcome.verdict === 'crashed' || (outcome.service !== null && outcome.service.servingAgainMs === null);
      if (!broken || i + 1 >= patterns.length) continue;
      if (!current.target.restartable && !loadFailed) {
        if (current.target.gone() !== null) {
          skipRest(i + 1, `the target is gone (after ${p.id}) and muxbench did not start it, so it cannot start it again`);
          return;
        }
        continue; // not serving: the next baseline decides whether there is anything to measure
      }
      if (!(await restart(i + 1, `after ${p.id}`))) return;
      fresh = true;
      if (current.target.restartable) outcome.restartedAfter = true;
    }
  } finally {
    await bringDown(live);
  }
}

async function attackOnce(live: Live, p: Pattern, params: Record<string, number>, s: AttackSettings): Promise<PatternOutcome> {
  const { target, load } = live;
  const t0 = performance.now();
  const gone = target.gone();
  if (gone !== null) return skipped(p.id, params, `the target is not running: ${gone.role} ${gone.detail.split('\n')[0]}`);
  const sampler = new UsageSampler(target.roles);
  load.begin('baseline');
  sampler.mark('baseline');
  await sleep(s.baselineMs);
  const before = await load.poll();
  if (before === null || before.okInPhase === 0) {
    sampler.stop();
    if (load.failure !== null) return skipped(p.id, params, load.failure);
    const rec = await load.end();
    const first = rec?.phases[0];
    const kinds = [
      ...Object.entries(first?.errors ?? {}).map(([k, n]) => `${k} ×${n}`),
      ...(first?.pending ? [`${first.pending} requests still waiting`] : []),
    ].join(', ');
    return {
      ...skipped(p.id, params, `the target did not serve the well-behaved load before the attack (${kinds || `no request completed in ${s.baselineMs} ms`})`),
      notServingBefore: true,
    };
  }

  load.phase('attack');
  sampler.mark('attack');
  const startedAt = performance.now();
  let observation: Observation | null = null;
  let answer: Answer | null = null;
  let error: string | null = null;
  try {
    observation = await p.run(
      {
        target: { host: target.host, port: target.port, authority: target.authority },
        paths: target.paths,
        budget: new Budget(startedAt + s.attackMs, s.maxAttackBytes),
        observeMs: s.observeMs,
        startedAt,
      },
      params,
    );
    answer = p.judge(observation, params);
  } catch (err) {
    error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  } finally {
    destroyAllPeers();
  }
  // The attack phase lasts at least the observation window, even when the target ended the attack at
  // once: goodput under attack needs a window long enough to count in.
  await sleep(startedAt + s.observeMs - performance.now());

  load.phase('recovery');
  sampler.mark('recovery');
  const until = performance.now() + s.recoveryMs;
  let servedAgain = false;
  while (performance.now() < until && target.gone() === null) {
    const poll = await load.poll();
    if (poll?.firstOkMs != null) {
      servedAgain = true;
      break;
    }
    await sleep(RECOVERY_POLL_MS);
  }
  if (servedAgain) await sleep(SETTLE_MS);
  sampler.mark('end');
  const record = await load.end();
  if (record === null) error ??= load.failure ?? 'the well-behaved load gave no record';
  const crash = target.gone();
  // A process that died closed its connections by dying: that close is no answer the RFC permits.
  if (crash !== null && answer !== null)
    answer = { ...answer, grade: 'unexpected', note: `the target crashed (${crash.role} ${crash.detail.split('\n')[0]}) instead of answering` };
  const usage = Object.keys(target.roles).length > 0 ? sampler.usage() : null;
  const service = record === null ? null : serviceOf(record, s.limits.stallMs);
  const { verdict, reasons } = judgeOutcome(
    {
      answer,
      crash,
      usage: usage !== null && target.attackedRole !== null ? (usage[target.attackedRole] ?? null) : null,
      service,
      recoveryWindowMs: s.recoveryMs,
      error,
    },
    s.limits,
  );
  return {
    pattern: p.id,
    verdict,
    reasons,
    params,
    answer,
    observation,
    usage,
    service,
    crash,
    error,
    restartedAfter: false,
    durationMs: Math.round(performance.now() - t0),
  };
}

function skipped(pattern: string, params: Record<string, number>, reason: string): PatternOutcome {
  return {
    pattern,
    verdict: 'skipped',
    reasons: [reason],
    params,
    answer: null,
    observation: null,
    usage: null,
    service: null,
    crash: null,
    error: null,
    restartedAfter: false,
    durationMs: 0,
  };
}

function progressLine(target: string, out: PatternOutcome): string {
  const what = out.verdict === 'held' ? (out.answer?.observed.split(' — ')[0] ?? '') : out.reasons.join('; ').split('\n')[0];
  return `${target.padEnd(12)} ${out.pattern.padEnd(26)} ${out.verdict.padEnd(8)} ${what}`;
}
