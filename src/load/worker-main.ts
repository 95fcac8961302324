/**
 * The load engine's own process (`muxbench load-worker`), one per point: it opens the engine once and then
 * takes commands, one JSON line each on stdin, answering with JSON lines on stdout. So the load (its JIT,
 * its connections) stays warm across the point's warm-up and trials, and the runner can sample the
 * systems' CPU exactly when a measured window opens and closes.
 *
 *   {"cmd":"open","spec":…,"model":…}          → {"event":"opened","continuous":true|false}
 *   {"cmd":"warmup","policy":…}                → {"event":"warm","warmup":{…}|null}   (null: the engine cannot judge)
 *   {"cmd":"trial","durationMs":…,…}            → {"event":"trial-open"}, {"event":"trial-closed"}, {"event":"trial","result":…}
 *   {"cmd":"pause"}                            → {"event":"paused","abandoned":n}
 *   {"cmd":"close"}                            → {"event":"closed"}, then exit
 * Any failure → {"event":"error","message":…}; the process exits when stdin ends.
 */
import { createInterface } from 'node:readline';
import type { SteadyPolicy } from '../measure/steady.ts';
import { type EngineSpec, type OpenedEngine, openEngine } from './engine.ts';
import type { LoadModel } from './types.ts';

export type WorkerCommand =
  | { cmd: 'open'; spec: EngineSpec; model: LoadModel; drainMs?: number }
  | { cmd: 'warmup'; policy: SteadyPolicy }
  /** warmupMs: the fixed warm-up of engines that run whole trials on their own (autocannon, h2load) */
  | { cmd: 'trial'; durationMs: number; maxRequests?: number; warmupMs?: number }
  | { cmd: 'pause' }
  | { cmd: 'close' };

function say(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function handle(c: WorkerCommand, state: { engine: OpenedEngine | null }): Promise<boolean> {
  if (c.cmd === 'open') {
    if (state.engine) throw new Error('the engine is already open');
    state.engine = await openEngine(c.spec, c.model, c.drainMs);
    say({ event: 'opened', continuous: state.engine.kind === 'loop' });
    return true;
  }
  if (c.cmd === 'close') {
    await state.engine?.close();
    state.engine = null;
    say({ event: 'closed' });
    return false;
  }
  const engine = state.engine;
  if (!engine) throw new Error(`'${c.cmd}' before 'open'`);
  switch (c.cmd) {
    case 'warmup':
      say({ event: 'warm', warmup: engine.kind === 'loop' ? await engine.loop.warmUp(c.policy) : null });
      return true;
    case 'trial': {
      if (engine.kind === 'one-shot') {
        say({ event: 'trial-open' });
        const result = await engine.run({ warmupMs: c.warmupMs ?? 0, durationMs: c.durationMs, maxRequests: c.maxRequests });
        say({ event: 'trial-closed' });
        say({ event: 'trial', result });
        return true;
      }
      const pending = engine.loop.measure(c.durationMs, { maxRequests: c.maxRequests, onClose: () => say({ event: 'trial-closed' }) });
      say({ event: 'trial-open' });
      say({ event: 'trial', result: await pending });
      return true;
    }
    case 'pause':
      say({ event: 'paused', abandoned: engine.kind === 'loop' ? await engine.loop.pause() : 0 });
      return true;
  }
}

export async function loadWorkerMain(): Promise<number> {
  const state: { engine: OpenedEngine | null } = { engine: null };
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
        if (!(await handle(command, state))) return 0;
      } catch (err) {
        say({ event: 'error', message: err instanceof Error ? err.message : String(err) });
        return 1;
      }
    }
    return 0;
  } finally {
    await state.engine?.close().catch(() => {});
  }
}
