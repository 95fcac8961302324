/**
 * One pattern's verdict against one target, from what was measured: `held` when the target survived,
 * answered as the RFC allows, stayed within the memory bound and served again in time; `failed` with
 * every reason otherwise; `crashed` when a process of the target died. The limits default to the ones
 * issue 11 sets for our edge (RSS growth under 100 MB, serving again within 2 s).
 */
import type { Answer } from './patterns/index.ts';
import type { Service } from './service.ts';
import type { RoleUsage } from './usage-sampler.ts';

export interface Limits {
  maxRssGrowthBytes: number;
  maxRecoveryMs: number;
  /** a stretch this long without a success counts as "stopped serving" (reported, not failed on) */
  stallMs: number;
}

export const DEFAULT_LIMITS: Limits = { maxRssGrowthBytes: 100 * 1024 * 1024, maxRecoveryMs: 2000, stallMs: 1000 };

export type Verdict = 'held' | 'failed' | 'crashed' | 'skipped' | 'error';

export interface VerdictInput {
  answer: Answer | null;
  crash: { role: string; detail: string } | null;
  /** the attacked role's usage (null when its process is unknown) */
  usage: RoleUsage | null;
  service: Service | null;
  recoveryWindowMs: number;
  error: string | null;
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(b < 10 * 2 ** 20 ? 1 : 0)} MiB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

export function judgeOutcome(input: VerdictInput, limits: Limits): { verdict: Verdict; reasons: string[] } {
  if (input.crash !== null) return { verdict: 'crashed', reasons: [`${input.crash.role} ${input.crash.detail.split('\n')[0]}`] };
  if (input.error !== null) return { verdict: 'error', reasons: [`the harness failed: ${input.error}`] };
  const reasons: string[] = [];
  if (input.answer?.grade === 'unexpected') reasons.push(`answer: ${input.answer.note}`);
  const growth = input.usage?.rssGrowthBytes ?? null;
  if (growth !== null && growth > limits.maxRssGrowthBytes) reasons.push(`RSS grew ${mib(growth)} (limit ${mib(limits.maxRssGrowthBytes)})`);
  const s = input.service;
  if (s !== null) {
    if (s.servingAgainMs === null) reasons.push(`not serving again within ${secs(input.recoveryWindowMs)} after the attack`);
    else if (s.servingAgainMs > limits.maxRecoveryMs)
      reasons.push(`serving again only ${secs(s.servingAgainMs)} after the attack (limit ${secs(limits.maxRecoveryMs)})`);
  }
  return { verdict: reasons.length === 0 ? 'held' : 'failed', reasons };
}
