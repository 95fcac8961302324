/**
 * One measured run in a single call: a LoadLoop started, warmed up for a fixed time, measured for
 * `durationMs` (or `maxRequests`), then paused until its requests answered. For tests and
 * microbenchmarks; scenarios drive a LoadLoop across trials instead (warm-up until steady, see loop.ts).
 */
import { LoadLoop, type PacedResult } from './loop.ts';
import type { LoadBudget, LoadModel, Requester } from './types.ts';

export type { PacedResult, SendLag, SeriesWindow } from './loop.ts';

export async function runPaced(requester: Requester, model: LoadModel, budget: LoadBudget): Promise<PacedResult> {
  return runLoop(new LoadLoop(requester, model, budget.drainMs), budget);
}

/** Runs an existing loop through one fixed warm-up and one window, then closes it. */
export async function runLoop(loop: LoadLoop, budget: LoadBudget): Promise<PacedResult> {
  loop.start();
  if (budget.warmupMs > 0) await new Promise((r) => setTimeout(r, budget.warmupMs));
  const result = await loop.measure(budget.durationMs, { maxRequests: budget.maxRequests ?? 0, onClose: () => void loop.pause() });
  await loop.close();
  return result;
}
