/**
 * A load worker that runs on its own, without a runner to drive it: one of N workers (a pod of a
 * Kubernetes Indexed Job, or a process anywhere) given a plan — one scenario point's whole load, the number
 * of workers, and one start instant for all. Each worker takes its share (load/split.ts), begins its load at
 * `startAt`, warms up, opens its measured windows on a fixed timeline every worker computes alike, and
 * writes its partial result; `muxbench merge` (run/merge.ts) makes the partials one results.json.
 *
 * The timeline, for every worker: the load begins at `startAt`; trial k opens at
 * `startAt + policy.maxMs + gapMs + k × (durationMs + gapMs)` — after the longest warm-up, with room for
 * the previous window's drain. A worker that starts late opens its windows late, and its `openedAt` says so.
 */
import { hostname, type as osType, release, cpus } from 'node:os';
import { z } from 'zod';
import type { SteadyPolicy } from '../measure/steady.ts';
import type { EngineSpec } from './engine.ts';
import type { PacedResult, WarmupResult } from './loop.ts';
import type { LoadModel } from './types.ts';

export const PLAN_SCHEMA = 'muxbench.worker-plan/1';
export const PARTIAL_SCHEMA = 'muxbench.partial/1';

export interface WorkerPlan {
  schema: typeof PLAN_SCHEMA;
  /** one id per plan: partials of different plans are never merged */
  id: string;
  /** what the merged results.json names as its scenario */
  scenario: { name: string; description: string; file: string; definition: unknown };
  /** the scenario point this is */
  point: { index: number; systemId: string; systemKind: string; label: string; params: Record<string, number> };
  /** the whole point's load: each worker takes its share */
  spec: EngineSpec;
  model: LoadModel;
  workers: number;
  /** when every worker's load begins, ms since the epoch */
  startAt: number;
  policy: SteadyPolicy;
  trials: number;
  durationMs: number;
  /** between one window's close and the next's open: room for the drain */
  gapMs: number;
  /** stop each window after this many requests, all workers together (0 = none) */
  maxRequests: number;
}

/** Where a partial was measured. */
export interface WorkerHost {
  hostname: string;
  node: string;
  cpu: string;
  cores: number;
  os: string;
}

export interface PartialResult {
  schema: typeof PARTIAL_SCHEMA;
  planId: string;
  plan: WorkerPlan;
  worker: { index: number; count: number };
  host: WorkerHost;
  /** null: the engine runs whole trials on its own */
  warmup: WarmupResult | null;
  trials: { openedAt: number | undefined; result: PacedResult }[];
  /** how late this worker's load began against `startAt`, ms (0: on time) */
  lateMs: number;
}

const steadyPolicy = z.strictObject({
  minMs: z.number().nonnegative(),
  maxMs: z.number().positive(),
  windowMs: z.number().positive(),
  blockWindows: z.number().int().positive(),
  blocks: z.number().int().positive(),
  tolerance: z.number().positive(),
});

const planSchema = z.object({
  schema: z.literal(PLAN_SCHEMA),
  id: z.string().min(1),
  scenario: z.object({ name: z.string(), description: z.string(), file: z.string(), definition: z.unknown() }),
  point: z.object({
    index: z.number().int().nonnegative(),
    systemId: z.string(),
    systemKind: z.string(),
    label: z.string(),
    params: z.record(z.string(), z.number()),
  }),
  spec: z.object({ protocol: z.enum(['http1', 'http2', 'http-grpc', 'grpc', 'ws', 'tcp']) }).passthrough(),
  model: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('closed'), concurrency: z.number().int().positive() }),
    z.object({ kind: z.literal('open'), ratePerSec: z.number().positive(), maxInflight: z.number().int().positive() }),
  ]),
  workers: z.number().int().min(1).max(10_000),
  startAt: z.number().int().positive(),
  policy: steadyPolicy,
  trials: z.number().int().min(1).max(50),
  durationMs: z.number().int().positive().max(3_600_000),
  gapMs: z.number().int().nonnegative().max(600_000),
  maxRequests: z.number().int().nonnegative(),
});

/** The furthest ahead a plan may start: a worker never waits longer than this for its instant. */
export const MAX_START_AHEAD_MS = 24 * 3600_000;

/** A plan read from JSON, checked; throws an Error naming the first field that is wrong. */
export function parsePlan(value: unknown, now = Date.now()): WorkerPlan {
  const r = planSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new Error(`not a ${PLAN_SCHEMA} plan: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
  }
  if (r.data.startAt - now > MAX_START_AHEAD_MS)
    throw new Error(`the plan starts at ${new Date(r.data.startAt).toISOString()}, more than a day from now: write it again (muxbench k8s) nearer the run`);
  return r.data as unknown as WorkerPlan;
}

/** When window `k` opens, ms since the epoch: the same for every worker of the plan. */
export function trialStartAt(plan: Pick<WorkerPlan, 'startAt' | 'policy' | 'durationMs' | 'gapMs'>, k: number): number {
  return plan.startAt + plan.policy.maxMs + plan.gapMs + k * (plan.durationMs + plan.gapMs);
}

/** When the last window has closed, ms since the epoch (the load ends then). */
export function planEndsAt(plan: Pick<WorkerPlan, 'startAt' | 'policy' | 'durationMs' | 'gapMs' | 'trials'>): number {
  return trialStartAt(plan, plan.trials - 1) + plan.durationMs;
}

export function workerHost(): WorkerHost {
  return { hostname: hostname(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, os: `${osType()} ${release()}` };
}
