/**
 * The load engine's own process (`muxbench load-worker`), one per point: it opens its engines once and
 * then takes commands, one JSON line each on stdin, answering with JSON lines on stdout. So the load (its
 * JIT, its connections) stays warm across the point's warm-up and trials, and the runner can sample the
 * systems' CPU exactly when a measured window opens and closes. A worker may hold several engines, each
 * named in its commands: driven one at a time, `muxbench gate` drives the base and the candidate from one
 * worker, so that both are measured by the very same instrument (same process, same JIT state); driven
 * together (the `-together` commands, continuous engines only), they are the load groups of one point,
 * warmed up until the first has settled and measured over the very same windows.
 *
 *   {"cmd":"open","engine":"a","spec":…,"model":…} → {"event":"opened","continuous":true|false}
 *   {"cmd":"warmup","engine":"a","policy":…}       → {"event":"warm","warmup":{…}|null}   (null: the engine cannot judge)
 *   {"cmd":"trial","engine":"a","durationMs":…,…}  → {"event":"trial-open","openedAt":…}, {"event":"trial-closed"}, {"event":"trial","result":…}
 * `warmup` and `trial` may name a `startAt` (ms since the epoch): the worker waits for that instant, so that
 * several workers (load/split.ts) begin their load, and open their windows, together.
 *   {"cmd":"pause","engine":"a"}                   → {"event":"paused","abandoned":n}
 *   {"cmd":"warmup-together","engines":["a","b"],"policy":…}    → {"event":"warm","warmups":[…]}  (in the engines' order)
 *   {"cmd":"trial-together","engines":["a","b"],"durationMs":…} → {"event":"trial-open"}, {"event":"trial-closed"} (once every window
 *                                                                  closed), {"event":"trial","results":[…]}
 *   {"cmd":"close"}                                → {"event":"closed"}, then exit
 * A failed command answers {"event":"error","message":…} and the worker takes the next; it exits when
 * stdin ends.
 */
import { createInterface } from 'node:readline';
import type { SteadyPolicy } from '../measure/steady.ts';
import { type EngineSpec, type OpenedEngine, openEngine } from './engine.ts';
import { LoadLoop, type PacedResult, type WarmupResult } from './loop.ts';
import { PARTIAL_SCHEMA, type PartialResult, trialStartAt, type WorkerPlan, workerHost } from './plan.ts';
import { maxRequestsShares, splitLoad } from './split.ts';
import type { LoadModel } from './types.ts';

export type WorkerCommand =
  | { cmd: 'open'; engine: string; spec: EngineSpec; model: LoadModel; drainMs?: number }
  /** startAt: when the load begins, ms since the epoch (load workers given one instant share one schedule) */
  | { cmd: 'warmup'; engine: string; policy: SteadyPolicy; startAt?: number }
  /**
   * warmupMs: the fixed warm-up of engines that run whole trials on their own (autocannon, h2load);
   * startAt: when the window opens, ms since the epoch (now, if that has passed)
   */
  | { cmd: 'trial'; engine: string; durationMs: number; maxRequests?: number; warmupMs?: number; startAt?: number }
  | { cmd: 'pause'; engine: string }
  | { cmd: 'warmup-together'; engines: string[]; policy: SteadyPolicy }
  | { cmd: 'trial-together'; engines: string[]; durationMs: number }
  | { cmd: 'close' };

type Engines = Map<string, OpenedEngine>;

/** Resolves at `epochMs` (at once if it has passed). */
function until(epochMs: number): Promise<void> {
  const wait = epochMs - Date.now();
  return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve();
}

/** Sees every event the worker says (a worker running a plan keeps what it measured). */
let listener: ((event: Record<string, unknown>) => void) | null = null;

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
  listener?.(event);
}

async function closeAll(engines: Engines): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  await Promise.all(all.map((e) => e.close().catch(() => {})));
}

async function handle(c: WorkerCommand, engines: Engines): Promise<boolean> {
  if (c.cmd === 'close') {
    await closeAll(engines);
    say({ event: 'closed' });
    return false;
  }
  if (c.cmd === 'open') {
    if (engines.has(c.engine)) throw new Error(`engine '${c.engine}' is already open`);
    const opened = await openEngine(c.spec, c.model, c.drainMs);
    engines.set(c.engine, opened);
    say({ event: 'opened', continuous: opened.kind === 'loop' });
    return true;
  }
  if (c.cmd === 'warmup-together' || c.cmd === 'trial-together') return together(c, engines);
  const engine = engines.get(c.engine);
  if (!engine) throw new Error(`'${c.cmd}' for engine '${c.engine}', which is not open`);
  switch (c.cmd) {
    case 'warmup': {
      if (engine.kind === 'loop' && c.startAt !== undefined) {
        await until(c.startAt);
        // the common schedule; a worker that is late joins it where it stands (LoadLoop.start)
        engine.loop.start(c.startAt - performance.timeOrigin);
      }
      const lateMs = c.startAt === undefined ? 0 : Math.max(0, Date.now() - c.startAt);
      say({ event: 'warm', warmup: engine.kind === 'loop' ? await engine.loop.warmUp(c.policy) : null, lateMs });
      return true;
    }
    case 'trial': {
      if (c.startAt !== undefined) await until(c.startAt);
      if (engine.kind === 'one-shot') {
        say({ event: 'trial-open', openedAt: Date.now() });
        const result = await engine.run({ warmupMs: c.warmupMs ?? 0, durationMs: c.durationMs, maxRequests: c.maxRequests });
        say({ event: 'trial-closed' });
        say({ event: 'trial', result });
        return true;
      }
      const pending = engine.loop.measure(c.durationMs, { maxRequests: c.maxRequests, onClose: () => say({ event: 'trial-closed' }) });
      say({ event: 'trial-open', openedAt: Date.now() });
      say({ event: 'trial', result: await pending });
      return true;
    }
    case 'pause':
      say({ event: 'paused', abandoned: engine.kind === 'loop' ? await engine.loop.pause() : 0 });
      return true;
  }
}

/** Several continuous engines driven as one: the load groups of a point. */
async function together(c: Extract<WorkerCommand, { cmd: 'warmup-together' | 'trial-together' }>, engines: Engines): Promise<boolean> {
  const loops = c.engines.map((id) => {
    const e = engines.get(id);
    if (!e) throw new Error(`'${c.cmd}' for engine '${id}', which is not open`);
    if (e.kind !== 'loop') throw new Error(`engine '${id}' runs whole trials on its own and cannot be driven together with others`);
    return e.loop;
  });
  if (c.cmd === 'warmup-together') {
    say({ event: 'warm', warmups: await LoadLoop.warmUpTogether(loops, c.policy) });
    return true;
  }
  const pending = LoadLoop.measureTogether(loops, c.durationMs, { onClose: () => say({ event: 'trial-closed' }) });
  say({ event: 'trial-open' });
  say({ event: 'trial', results: await pending });
  return true;
}

/**
 * A worker on its own (`muxbench load-worker --plan FILE [--index I] [--out FILE]`, a pod of an Indexed Job
 * whose JOB_COMPLETION_INDEX is its index): its share of the plan's load, through the very commands a runner
 * sends, on the plan's timeline; its partial result goes, last, on stdout as one {"event":"partial","partial":…}
 * line (what `kubectl logs` collects) and is returned (the command line writes it to `--out`).
 */
export async function planMain(plan: WorkerPlan, index: number): Promise<PartialResult> {
  if (!Number.isInteger(index) || index < 0 || index >= plan.workers) throw new Error(`worker index ${index} is not one of the plan's 0-${plan.workers - 1}`);
  const share = splitLoad(plan.spec, plan.model, plan.workers)[index]!;
  const maxRequests = maxRequestsShares(plan.maxRequests, plan.workers)[index];
  const engines: Engines = new Map();
  const seen: Record<string, unknown>[] = [];
  listener = (e) => void seen.push(e);
  const partial: PartialResult = {
    schema: PARTIAL_SCHEMA,
    planId: plan.id,
    plan,
    worker: { index, count: plan.workers },
    host: workerHost(),
    warmup: null,
    trials: [],
    lateMs: 0,
  };
  const last = (event: string): Record<string, unknown> => {
    const e = seen.findLast((x) => x.event === event || x.event === 'error');
    if (!e || e.event === 'error') throw new Error(String(e?.message ?? `no '${event}' from the engine`));
    return e;
  };
  try {
    await handle({ cmd: 'open', engine: 'main', spec: share.spec, model: share.model }, engines);
    last('opened');
    // a late worker warms up for less, so that its first window still opens with the others'
    const room = trialStartAt(plan, 0) - plan.gapMs - Math.max(Date.now(), plan.startAt);
    const maxMs = Math.max(0, Math.min(plan.policy.maxMs, room));
    const policy = { ...plan.policy, maxMs, minMs: Math.min(plan.policy.minMs, maxMs) };
    await handle({ cmd: 'warmup', engine: 'main', policy, startAt: plan.startAt }, engines);
    const warm = last('warm');
    partial.warmup = (warm.warmup as WarmupResult | null) ?? null;
    partial.lateMs = Number(warm.lateMs ?? 0);
    for (let k = 0; k < plan.trials; k++) {
      seen.length = 0;
      await handle({ cmd: 'trial', engine: 'main', durationMs: plan.durationMs, maxRequests, startAt: trialStartAt(plan, k), warmupMs: 0 }, engines);
      partial.trials.push({ openedAt: last('trial-open').openedAt as number | undefined, result: last('trial').result as PacedResult });
    }
  } finally {
    listener = null;
    await closeAll(engines);
  }
  say({ event: 'partial', partial });
  return partial;
}

export async function loadWorkerMain(): Promise<number> {
  const engines: Engines = new Map();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  try {
    for await (const line of lines) {
      if (!line.trim()) continue;
      let command: WorkerCommand;
      try {
        command = JSON.parse(line) as WorkerCommand;
      } catch (err) {
        say({ event: 'error', message: `bad command on stdin: ${(err as Error).message}` });
        return 2;
      }
      try {
        if (!(await handle(command, engines))) return 0;
      } catch (err) {
        // one engine's failure is that engine's: the others (the other side of a gate) carry on
        say({ event: 'error', message: err instanceof Error ? err.message : String(err) });
      }
    }
    return 0;
  } finally {
    await closeAll(engines);
    // an open stdin pipe would keep this process alive after `close`: the caller waits for the exit
    process.stdin.destroy();
  }
}
