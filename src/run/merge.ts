/**
 * `muxbench merge`: the partial results of one plan's workers (pods of a Kubernetes Indexed Job, or
 * processes anywhere: load/plan.ts) as one results.json that `report` and `compare`
 * read like any run's. Window k of every worker is merged exactly (load/merge.ts): histograms merged,
 * counts added, the busiest worker's CPU. Partials are read from the files `--out` wrote or from logs
 * (`kubectl logs`), where each is one {"event":"partial",…} line among others.
 *
 * Nothing is merged that should not be: every partial must be of the same plan, every worker index present
 * once, every worker with all its trials. The external system's own CPU is not seen from the load side, so
 * the trials carry no process usage.
 */
import { readFileSync } from 'node:fs';
import { MuxbenchError } from '../errors.ts';
import { mergePaced, mergeWarmups } from '../load/merge.ts';
import { PARTIAL_SCHEMA, type PartialResult, parsePartial, trialStartAt } from '../load/plan.ts';
import { RESULTS_SCHEMA, type PointResult, type ResultsFile } from '../measure/results.ts';
import { pointStatus, summarize, trialResult, warmupRecord } from './point.ts';

export class MergeError extends MuxbenchError {
  override readonly name = 'MergeError';
  readonly code = 'MUX_ERR_MERGE';
}

/** A window that opened this much later on one worker than on another is flagged in the point's reason. */
export const SKEW_WARN_MS = 100;
/** Windows further apart than this share of their length fail the point: they did not measure one moment. */
export const MAX_SKEW_SHARE = 0.1;

function isPartialLike(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { schema?: unknown }).schema === PARTIAL_SCHEMA;
}

function checked(file: string, v: unknown): PartialResult {
  try {
    return parsePartial(v);
  } catch (err) {
    throw new MergeError(`${file}: ${(err as Error).message}`);
  }
}

/** The partials in one file: a partial's JSON, or log lines among which are {"event":"partial",…} lines. */
export function readPartials(file: string): PartialResult[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MergeError(`cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    const whole: unknown = JSON.parse(text);
    if (isPartialLike(whole)) return [checked(file, whole)];
  } catch (err) {
    if (err instanceof MergeError) throw err;
    // not one JSON document: log lines
  }
  const found: PartialResult[] = [];
  for (const line of text.split('\n')) {
    // kubectl logs --prefix puts "[pod/…] " before each line
    const at = line.indexOf('{"event":"partial"');
    if (at < 0) continue;
    let e: { partial?: unknown };
    try {
      e = JSON.parse(line.slice(at)) as { partial?: unknown };
    } catch (err) {
      throw new MergeError(`${file}: a partial line is not whole JSON (${(err as Error).message}); was the log cut?`);
    }
    found.push(checked(file, e.partial));
  }
  if (found.length === 0) throw new MergeError(`${file}: no partial result in it (neither a ${PARTIAL_SCHEMA} file nor {"event":"partial",…} lines)`);
  return found;
}

/** The plan's workers' partials as one run. */
export function mergePartials(partials: readonly PartialResult[], runId: string): ResultsFile {
  if (partials.length === 0) throw new MergeError('no partial results to merge');
  const plan = partials[0]!.plan;
  const others = [...new Set(partials.filter((p) => p.planId !== plan.id).map((p) => p.planId))];
  if (others.length > 0) throw new MergeError(`partials of different plans: ${[plan.id, ...others].join(', ')}; merge one plan's at a time`);
  const planText = JSON.stringify(plan);
  const byIndex = new Map<number, PartialResult>();
  for (const p of partials) {
    if (JSON.stringify(p.plan) !== planText)
      throw new MergeError(`worker ${p.worker.index}'s plan differs from worker ${partials[0]!.worker.index}'s under the same id ${plan.id}`);
    if (p.worker.count !== plan.workers || p.worker.index >= plan.workers)
      throw new MergeError(`worker ${p.worker.index} of ${p.worker.count} does not fit the plan's ${plan.workers} workers`);
    if (byIndex.has(p.worker.index)) throw new MergeError(`worker ${p.worker.index} appears twice`);
    byIndex.set(p.worker.index, p);
  }
  const missing = Array.from({ length: plan.workers }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new MergeError(`plan ${plan.id} has ${plan.workers} workers; missing: ${missing.join(', ')}`);
  const workers = Array.from({ length: plan.workers }, (_, i) => byIndex.get(i)!);
  const short = workers.filter((w) => w.trials.length !== plan.trials);
  if (short.length > 0)
    throw new MergeError(
      `workers ${short.map((w) => `${w.worker.index} (${w.trials.length} of ${plan.trials} trials)`).join(', ')} did not finish their trials`,
    );

  const trials = Array.from({ length: plan.trials }, (_, k) => {
    const parts = workers.map((w) => w.trials[k]!);
    let merged: ReturnType<typeof mergePaced>;
    try {
      merged = mergePaced(
        parts.map((p) => p.result),
        parts.map((p) => ({ openedAt: p.openedAt })),
      );
    } catch (err) {
      throw new MergeError(`trial ${k + 1}: ${(err as Error).message}`);
    }
    return trialResult(merged, {});
  });
  const point: PointResult = {
    index: plan.point.index,
    systemId: plan.point.systemId,
    systemKind: plan.point.systemKind,
    label: plan.point.label,
    params: plan.point.params,
    status: 'ok',
    trials,
    warmup: warmupRecord(mergeWarmups(workers.map((w) => w.warmup)), plan.policy.minMs),
  };
  point.summary = summarize(trials);
  const verdict = pointStatus(point, plan.durationMs, plan.model.kind);
  const skew = windowSkewMs(workers, plan.trials);
  if (skew > plan.durationMs * MAX_SKEW_SHARE) {
    // windows that overlap this little measured different moments: their sum is a load nobody carried
    point.status = 'failed';
    point.reason = `the workers' windows opened up to ${Math.round(skew)} ms apart, over ${Math.round(MAX_SKEW_SHARE * 100)} % of a ${plan.durationMs} ms window: the merged figures would add up moments that were not the same (clocks out of sync, or workers that began late)`;
  } else {
    point.status = verdict.status;
    const notes = [verdict.reason, skewNote(workers, skew)].filter((n): n is string => n !== undefined);
    if (notes.length > 0) point.reason = notes.join('; ');
  }

  const host = workers[0]!.host;
  const hosts = [...new Set(workers.map((w) => w.host.hostname))];
  return {
    schema: RESULTS_SCHEMA,
    runId,
    scenario: plan.scenario,
    quick: false,
    environment: {
      node: host.node,
      cpu: host.cpu,
      cores: host.cores,
      os: host.os,
      hostname: hosts.length === 1 ? hosts[0]! : `${hosts.length} hosts`,
      commit: null,
      pinned: false,
      systemCpu: null,
      loadCpu: null,
      h2load: false,
      loadHosts: workers.map((w) => ({ index: w.worker.index, ...w.host, lateMs: w.lateMs })),
    },
    status: 'complete',
    startedAt: new Date(plan.startAt).toISOString(),
    finishedAt: new Date(trialStartAt(plan, plan.trials - 1) + plan.durationMs).toISOString(),
    axes: Object.keys(plan.point.params),
    settings: {
      warmupMs: plan.policy.minMs,
      durationMs: plan.durationMs,
      trials: plan.trials,
      loadModel: plan.model.kind === 'closed' ? 'closed' : `open (${plan.model.ratePerSec}/s)`,
      steady: plan.policy,
      loadWorkers: plan.workers,
    },
    points: [point],
  };
}

/** The widest spread of one window's opening instants across workers, ms. */
function windowSkewMs(workers: readonly PartialResult[], trials: number): number {
  let worst = 0;
  for (let k = 0; k < trials; k++) {
    const opened = workers.map((w) => w.trials[k]!.openedAt).filter((t): t is number => t !== undefined);
    if (opened.length > 1) worst = Math.max(worst, Math.max(...opened) - Math.min(...opened));
  }
  return worst;
}

/** Workers that began late, or windows that opened apart: said, since the windows then overlap less. */
function skewNote(workers: readonly PartialResult[], skew: number): string | undefined {
  const late = workers.filter((w) => w.lateMs > SKEW_WARN_MS);
  const said = [
    late.length > 0 ? `workers ${late.map((w) => `${w.worker.index} (${Math.round(w.lateMs)} ms)`).join(', ')} began their load late` : '',
    skew > SKEW_WARN_MS ? `windows opened up to ${Math.round(skew)} ms apart across workers` : '',
  ].filter(Boolean);
  return said.length > 0 ? `${said.join('; ')}: the merged windows overlap less than they should` : undefined;
}
