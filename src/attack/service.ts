/**
 * What the well-behaved load saw around one pattern, read from its record: goodput under attack against
 * the baseline just before, p99 in both, how soon after the attack a request succeeded again, and the
 * longest stretch without any success (did the target stop serving?).
 */
import type { PhaseStats } from './phased-load.ts';
import type { MeasuredRecord } from './load-process.ts';

export interface Service {
  baseline: PhaseStats;
  attack: PhaseStats;
  recovery: PhaseStats;
  /** attack successes/s over baseline successes/s (null: no baseline to compare with) */
  goodput: number | null;
  /** ms from the attack's end to the first success after it (null: none in the recovery window) */
  servingAgainMs: number | null;
  /** longest run without a success from the attack's start to the end, to the time line's resolution */
  longestGapMs: number;
  /** longestGapMs reached the stall threshold */
  stoppedServing: boolean;
  /** the load process's CPU over the record: near 1 means the load, not the target, was the limit */
  loadCpu: number;
  timeline: {
    bucketMs: number;
    ok: number[];
    errors: number[];
    attackStartMs: number;
    attackEndMs: number;
  };
}

export function serviceOf(record: MeasuredRecord, stallMs: number): Service | null {
  const phase = (name: string): PhaseStats | undefined => record.phases.find((p) => p.name === name);
  const baseline = phase('baseline');
  const attack = phase('attack');
  const recovery = phase('recovery');
  if (!baseline || !attack || !recovery) return null;
  const longestGapMs = longestGap(record.okPerBucket, Math.floor(attack.startMs / record.bucketMs)) * record.bucketMs;
  return {
    baseline,
    attack,
    recovery,
    goodput: baseline.okPerSec > 0 ? Math.round((attack.okPerSec / baseline.okPerSec) * 1000) / 1000 : null,
    servingAgainMs: recovery.firstOkMs,
    longestGapMs,
    stoppedServing: longestGapMs >= stallMs,
    loadCpu: record.loadCpu,
    timeline: {
      bucketMs: record.bucketMs,
      ok: record.okPerBucket,
      errors: record.errorsPerBucket,
      attackStartMs: attack.startMs,
      attackEndMs: recovery.startMs,
    },
  };
}

/** Longest run of empty buckets from `from` on. */
export function longestGap(buckets: readonly number[], from: number): number {
  let longest = 0;
  let run = 0;
  for (let i = Math.max(0, from); i < buckets.length; i++) {
    if (buckets[i] === 0) {
      run++;
      if (run > longest) longest = run;
    } else {
      run = 0;
    }
  }
  return longest;
}
