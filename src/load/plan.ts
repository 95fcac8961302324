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

const steadyPolicy = z
  .strictObject({
    minMs: z.number().nonnegative(),
    maxMs: z.number().positive().max(3_600_000),
    windowMs: z.number().min(10).max(10_000),
    blockWindows: z.number().int().positive().max(100),
    blocks: z.number().int().positive().max(100),
    tolerance: z.number().positive(),
  })
  .refine((p) => p.minMs <= p.maxMs, { message: 'minMs is above maxMs' });

const connections = z.number().int().min(1).max(100_000);

const planSchema = z.object({
  schema: z.literal(PLAN_SCHEMA),
  id: z.string().min(1).max(200),
  scenario: z.object({ name: z.string(), description: z.string(), file: z.string(), definition: z.unknown() }),
  point: z.object({
    index: z.number().int().nonnegative(),
    systemId: z.string(),
    systemKind: z.string(),
    label: z.string(),
    params: z.record(z.string(), z.number()),
  }),
  // the engine checks the rest of the spec when it opens; what sizes the load is bounded here
  spec: z
    .object({
      protocol: z.enum(['http1', 'http2', 'http-grpc', 'grpc', 'ws', 'tcp']),
      connections: connections.optional(),
      client: z.object({ connections: connections.optional() }).passthrough().optional(),
    })
    .passthrough(),
  model: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('closed'), concurrency: z.number().int().positive().max(1_000_000) }),
    z.object({ kind: z.literal('open'), ratePerSec: z.number().positive().max(10_000_000), maxInflight: z.number().int().positive().max(1_000_000) }),
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

function firstIssue(kind: string, error: z.ZodError): Error {
  const issue = error.issues[0]!;
  return new Error(`not a ${kind}: ${issue.path.join('.') || '(top)'}: ${issue.message}`);
}

/** A plan read from JSON, checked; throws an Error naming the first field that is wrong. */
export function parsePlan(value: unknown, now = Date.now()): WorkerPlan {
  const r = planSchema.safeParse(value);
  if (!r.success) throw firstIssue(`${PLAN_SCHEMA} plan`, r.error);
  if (r.data.startAt - now > MAX_START_AHEAD_MS)
    throw new Error(`the plan starts at ${new Date(r.data.startAt).toISOString()}, more than a day from now: write it again (muxbench k8s) nearer the run`);
  return r.data as unknown as WorkerPlan;
}

const histogramText = z.string().max(10_000_000);
const partialSchema = z.object({
  schema: z.literal(PARTIAL_SCHEMA),
  planId: z.string(),
  plan: planSchema,
  worker: z.object({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  host: z.object({ hostname: z.string(), node: z.string(), cpu: z.string(), cores: z.number(), os: z.string() }),
  warmup: z
    .object({ steady: z.boolean(), elapsedMs: z.number(), series: z.array(z.object({}).passthrough()) })
    .passthrough()
    .nullable(),
  trials: z
    .array(
      z.object({
        openedAt: z.number().optional(),
        result: z
          .object({
            requests: z.number().nonnegative(),
            requestsPerSec: z.number().nonnegative(),
            elapsedMs: z.number().nonnegative(),
            histogram: histogramText,
            errors: z.record(z.string(), z.number()),
          })
          .passthrough(),
      }),
    )
    .max(50),
  lateMs: z.number().nonnegative(),
});

/** A worker's partial result read from JSON, checked; throws an Error naming the first field that is wrong. */
export function parsePartial(value: unknown): PartialResult {
  const r = partialSchema.safeParse(value);
  if (!r.success) throw firstIssue(`${PARTIAL_SCHEMA} partial result`, r.error);
  return r.data as unknown as PartialResult;
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
