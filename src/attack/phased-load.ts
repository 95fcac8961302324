/**
 * The well-behaved load that keeps running while a pattern attacks: a closed loop (a fixed number of
 * requests always outstanding) over any Requester, measured in named phases — baseline, attack,
 * recovery — so goodput under attack can be set against the window just before it.
 *
 * Attribution: throughput, errors and the first success count by *completion* time (what the target
 * delivered in the window); latency counts by *send* phase, so a request stuck through the whole attack is
 * charged to the attack even though it completes afterwards. Every completion also lands in a time line
 * of BUCKET_MS buckets, from which the longest stretch without a success is read.
 */
import { LatencyRecorder, type LatencySummary, summarize } from '../measure/histogram.ts';
import type { Requester } from '../load/types.ts';

export const BUCKET_MS = 100;
/** A record longer than this stops growing its time line (patterns are bounded far below it). */
const MAX_RECORD_MS = 10 * 60_000;
/**
 * After a failed request its slot waits this long before sending again: a dead or refusing target would
 * otherwise be hammered with connection attempts in a tight loop, and that load is not "well-behaved".
 */
export const ERROR_BACKOFF_MS = 20;

export interface PhaseStats {
  name: string;
  /** ms since the record began */
  startMs: number;
  endMs: number;
  /** successes completed in the phase */
  ok: number;
  okPerSec: number;
  /** failures completed in the phase, by kind */
  errors: Record<string, number>;
  /** requests sent in the phase */
  sent: number;
  /** latency of the successful requests sent in the phase */
  latency: LatencySummary;
  /** requests sent in the phase still outstanding when the record ended */
  pending: number;
  /** ms from the phase's start to its first completed success (null: none) */
  firstOkMs: number | null;
}

export interface LoadRecord {
  phases: PhaseStats[];
  bucketMs: number;
  /** successes and failures completed per bucket, from the record's start */
  okPerBucket: number[];
  errorsPerBucket: number[];
}

export interface LoadPoll {
  phase: string;
  okInPhase: number;
  firstOkMs: number | null;
}

class Phase {
  ok = 0;
  sent = 0;
  pending = 0;
  errors: Record<string, number> = {};
  firstOkMs: number | null = null;
  endMs = -1;
  readonly latency = new LatencyRecorder();
  constructor(
    readonly name: string,
    readonly startMs: number,
  ) {}
}

class RecordState {
  readonly phases: Phase[] = [];
  readonly okPerBucket: number[] = [];
  readonly errorsPerBucket: number[] = [];
  constructor(readonly t0: number) {}
}

export class PhasedLoad {
  private record: RecordState | null = null;
  private running = false;
  private inflight = 0;
  private stopped: (() => void) | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly requester: Requester,
    private readonly concurrency: number,
  ) {
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`concurrency must be an integer ≥ 1, got ${concurrency}`);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (let i = 0; i < this.concurrency; i++) this.next();
  }

  /** Starts a new record (the previous one, if not ended, is dropped); its first phase is `phase`. */
  begin(phase: string): void {
    this.record = new RecordState(performance.now());
    this.record.phases.push(new Phase(phase, 0));
  }

  phase(name: string): void {
    const r = this.record;
    if (r === null) return this.begin(name);
    const at = performance.now() - r.t0;
    r.phases[r.phases.length - 1]!.endMs = at;
    r.phases.push(new Phase(name, at));
  }

  poll(): LoadPoll | null {
    const p = this.current();
    return p === null ? null : { phase: p.name, okInPhase: p.ok, firstOkMs: p.firstOkMs };
  }

  end(): LoadRecord | null {
    const r = this.record;
    if (r === null) return null;
    this.record = null;
    const at = performance.now() - r.t0;
    r.phases[r.phases.length - 1]!.endMs = at;
    return {
      phases: r.phases.map((p) => {
        const seconds = (p.endMs - p.startMs) / 1000;
        return {
          name: p.name,
          startMs: Math.round(p.startMs),
          endMs: Math.round(p.endMs),
          ok: p.ok,
          okPerSec: seconds > 0 ? Math.round((p.ok / seconds) * 10) / 10 : 0,
          errors: p.errors,
          sent: p.sent,
          latency: summarize(p.latency.toHistogram()),
          pending: p.pending,
          firstOkMs: p.firstOkMs === null ? null : Math.round(p.firstOkMs),
        };
      }),
      bucketMs: BUCKET_MS,
      // complete buckets only: a partial last bucket would read as a drop in throughput
      okPerBucket: fill(r.okPerBucket, Math.floor(at / BUCKET_MS)),
      errorsPerBucket: fill(r.errorsPerBucket, Math.floor(at / BUCKET_MS)),
    };
  }

  /** Stops sending; resolves once every outstanding request has settled (the requester's timeout bounds it). */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.inflight > 0) await new Promise<void>((resolve) => (this.stopped = resolve));
    await this.requester.close();
  }

  private current(): Phase | null {
    const r = this.record;
    return r === null ? null : r.phases[r.phases.length - 1]!;
  }

  private next(): void {
    if (!this.running) return;
    const r = this.record;
    const sendPhase = this.current();
    const sentAt = performance.now();
    if (sendPhase !== null) {
      sendPhase.sent++;
      sendPhase.pending++;
    }
    this.inflight++;
    this.requester.send((errorKind) => {
      this.inflight--;
      const now = performance.now();
      // Only completions of the record they were sent in, or sent between records, count.
      const live = this.record;
      if (sendPhase !== null && live === r) sendPhase.pending--;
      if (live !== null && (r === null || live === r)) {
        const phase = live.phases[live.phases.length - 1]!;
        const sinceStart = now - live.t0;
        const bucket = Math.floor(sinceStart / BUCKET_MS);
        if (errorKind === null) {
          phase.ok++;
          if (phase.firstOkMs === null) phase.firstOkMs = sinceStart - phase.startMs;
          if (bucket * BUCKET_MS < MAX_RECORD_MS) bump(live.okPerBucket, bucket);
          if (sendPhase !== null && live === r) sendPhase.latency.record((now - sentAt) * 1000);
        } else {
          phase.errors[errorKind] = (phase.errors[errorKind] ?? 0) + 1;
          if (bucket * BUCKET_MS < MAX_RECORD_MS) bump(live.errorsPerBucket, bucket);
        }
      }
      if (!this.running) {
        if (this.inflight === 0) this.stopped?.();
        return;
      }
      if (errorKind === null) {
        this.next();
      } else {
        const t = setTimeout(() => {
          this.timers.delete(t);
          this.next();
        }, ERROR_BACKOFF_MS);
        this.timers.add(t);
      }
    });
  }
}

function bump(buckets: number[], i: number): void {
  while (buckets.length <= i) buckets.push(0);
  buckets[i]!++;
}

function fill(buckets: number[], length: number): number[] {
  const n = Math.min(length, Math.ceil(MAX_RECORD_MS / BUCKET_MS));
  const out = buckets.slice(0, n);
  while (out.length < n) out.push(0);
  return out;
}
