/**
 * A point's load over several load-worker processes (`loadWorkers`): the load split by load/split.ts,
 * worker i pinned to the i-th core of the load set (round the set again when there are more workers than
 * cores), every worker's load begun and every measured window opened at one instant given to all, and their
 * windows merged exactly (load/merge.ts). One worker is the plain single engine, nothing added.
 */
import type { EngineSpec } from '../load/engine.ts';
import type { PacedResult, WarmupResult } from '../load/loop.ts';
import { mergePaced, mergeWarmups } from '../load/merge.ts';
import { maxRequestsShares, splitLoad } from '../load/split.ts';
import type { LoadModel } from '../load/types.ts';
import type { SteadyPolicy } from '../measure/steady.ts';
import { type CpuSet, parseCpuSet } from '../os/cpus.ts';
import { type EngineHandle, LoadSession, type TrialEngine, type TrialOptions } from './worker.ts';

/**
 * How far ahead of now the common instant is set: room for every worker to receive its command (a few
 * ms on a loaded machine) so that none starts late.
 */
export const START_LEAD_MS = 50;

/** The core each of `workers` workers is pinned to, from the load set (undefined: unpinned). */
export function workerCpus(loadCpu: CpuSet | undefined, workers: number): (CpuSet | undefined)[] {
  if (loadCpu === undefined) return Array.from({ length: workers }, () => undefined);
  if (workers === 1) return [loadCpu];
  const cores = parseCpuSet(loadCpu);
  return Array.from({ length: workers }, (_, i) => String(cores[i % cores.length]));
}

export class LoadWorkers implements TrialEngine {
  private constructor(
    private readonly sessions: LoadSession[],
    private readonly engines: EngineHandle[],
    /** each worker's pin (undefined: unpinned) */
    private readonly cpus: (CpuSet | undefined)[],
  ) {}

  get continuous(): boolean {
    return this.engines.every((e) => e.continuous);
  }

  get count(): number {
    return this.engines.length;
  }

  /** `workers` worker processes, each with its share of the load open (connections made, nothing sent). */
  static async open(spec: EngineSpec, model: LoadModel, workers: number, loadCpu: CpuSet | undefined, signal?: AbortSignal): Promise<LoadWorkers> {
    const loads = splitLoad(spec, model, workers);
    const cpus = workerCpus(loadCpu, workers);
    const sessions = loads.map((_, i) => LoadSession.start(cpus[i], signal));
    try {
      const engines = await Promise.all(loads.map((l, i) => sessions[i]!.open('main', l.spec, l.model)));
      return new LoadWorkers(sessions, engines, cpus);
    } catch (err) {
      await Promise.all(sessions.map((s) => s.close()));
      throw err;
    }
  }

  async warmUp(policy: SteadyPolicy): Promise<WarmupResult | null> {
    if (this.engines.length === 1) return this.engines[0]!.warmUp(policy);
    const startAt = Date.now() + START_LEAD_MS;
    return mergeWarmups(await Promise.all(this.engines.map((e) => e.warmUp(policy, startAt))));
  }

  /**
   * One window on every worker, opened at one instant; `onOpen` runs when the first opened, `onClose` when
   * the last closed, so the systems' usage covers every worker's window.
   */
  async trial(durationMs: number, options: TrialOptions = {}): Promise<PacedResult> {
    if (this.engines.length === 1) return this.engines[0]!.trial(durationMs, options);
    const startAt = Date.now() + START_LEAD_MS;
    const maxRequests = maxRequestsShares(options.maxRequests, this.engines.length);
    const openedAt: (number | undefined)[] = [];
    let opened = false;
    let closing = this.engines.length;
    const results = await Promise.all(
      this.engines.map((e, i) =>
        e.trial(durationMs, {
          ...options,
          maxRequests: maxRequests[i],
          startAt,
          onOpen: (at) => {
            openedAt[i] = at;
            if (!opened) options.onOpen?.(at);
            opened = true;
          },
          onClose: () => {
            if (--closing === 0) options.onClose?.();
          },
        }),
      ),
    );
    return mergePaced(
      results,
      results.map((_, i) => ({ openedAt: openedAt[i], cpu: this.cpus[i] })),
    );
  }

  async pause(drainMs?: number): Promise<number> {
    const abandoned = await Promise.all(this.engines.map((e) => e.pause(drainMs)));
    return abandoned.reduce((a, b) => a + b, 0);
  }

  /** Kills every worker now (the target died under them). */
  kill(): void {
    for (const s of this.sessions) s.kill();
  }

  /** Ends every worker. Never throws. */
  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close()));
  }
}
