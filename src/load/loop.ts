/**
 * A load that keeps running: a Requester driven in a closed or open loop until told to pause, with a
 * series of short windows (throughput and p99 per 100 ms) always recorded, warm-up until the series has
 * settled, and measured windows (trials) opened and closed on demand while the load goes on. One loop
 * serves every trial of a point, so trials after the first do not pay a cold start.
 *
 * Attribution is by send time: a request belongs to the window (and trial) in which it was sent — for the
 * open loop, in which it was *due* — and a window is final once all of its requests have answered (or the
 * drain time ran out). So a stalled server cannot hide: its slow replies count against the window that
 * sent them, with their whole latency.
 *
 * Closed loop: `concurrency` requests always outstanding; latency counts from each send.
 * Open loop: arrival i is due at anchor + i/rate; the pacer sleeps until the next arrival is due and then
 * sends every arrival that has fallen due (timers are coarse, so arrivals are batched rather than spun
 * for), latency counts from the due time (coordinated omission corrected), and how late each send left
 * (send lag) is recorded. An arrival that finds `maxInflight` requests outstanding is dropped and counted.
 */
import { CoarseHistogram } from '../measure/coarse-histogram.ts';
import { encodeHistogram, LatencyRecorder, type LatencySummary, summarize } from '../measure/histogram.ts';
import type { SendLag, SeriesWindow, WorkerShare } from '../measure/results.ts';
import { type Steadiness, steadiness, type SteadyPolicy } from '../measure/steady.ts';
import type { LoadModel, Requester } from './types.ts';

export type { SendLag, SeriesWindow };

/** One measured window. */
export interface PacedResult {
  /** successful requests sent inside the measured window */
  requests: number;
  errors: Record<string, number>;
  /** open loop: arrivals not sent because maxInflight were outstanding */
  dropped: number;
  elapsedMs: number;
  requestsPerSec: number;
  bytesIn: number;
  bytesOut: number;
  latency: LatencySummary;
  /** HDR histogram, compressed base64, µs */
  histogram: string;
  /** requests still outstanding when the drain time ran out */
  abandoned: number;
  /** CPU this process used during the window, as a share of one core */
  generatorCpu: number;
  /** the window's series (100 ms windows) */
  series?: SeriesWindow[];
  /** open loop: how late sends left against their schedule */
  sendLag?: SendLag;
  /** several load workers' windows merged (load/merge.ts): each one's share */
  workers?: WorkerShare[];
}

export interface WarmupResult {
  steady: boolean;
  elapsedMs: number;
  /** the series while warming up */
  series: SeriesWindow[];
  /** the last judgement (null when the cap came before enough windows) */
  last: Steadiness | null;
}

export const SERIES_WINDOW_MS = 100;
/** An open loop started this long after its anchor skips the arrivals due before then (see start()). */
const MISSED_GRACE_MS = 50;
/** How long a paused or closed window waits for its outstanding requests. */
export const DEFAULT_DRAIN_MS = 5000;

class Bucket {
  ok = 0;
  errors = 0;
  dropped = 0;
  inflight = 0;
  closedAt = -1;
  ms = 0;
  readonly hist = new CoarseHistogram();
  constructor(readonly atMs: number) {}

  sample(): SeriesWindow {
    return { atMs: Math.round(this.atMs), ms: Math.round(this.ms), ok: this.ok, errors: this.errors, dropped: this.dropped, p99Us: this.hist.quantile(0.99) };
  }
}

/** A measured window in progress. */
class Meter {
  readonly recorder = new LatencyRecorder();
  readonly errors: Record<string, number> = {};
  readonly buckets: Bucket[] = [];
  readonly lag: CoarseHistogram | null;
  ok = 0;
  dropped = 0;
  bytesIn = 0;
  bytesOut = 0;
  inflight = 0;
  issued = 0;
  to = -1;
  cpuAtOpen = process.cpuUsage();
  cpu: NodeJS.CpuUsage | null = null;
  onIdle: (() => void) | null = null;
  constructor(
    readonly from: number,
    readonly maxRequests: number,
    openLoop: boolean,
  ) {
    this.lag = openLoop ? new CoarseHistogram() : null;
  }
}

export class LoadLoop {
  private readonly startedAt = performance.now();
  private running = false;
  private closed = false;
  private inflight = 0;
  private bucket: Bucket;
  private readonly pending: Bucket[] = [];
  private readonly series: SeriesWindow[] = [];
  private rotation: NodeJS.Timeout | undefined;
  private meter: Meter | null = null;
  private idleWaiters: (() => void)[] = [];
  // open loop
  private anchor = 0;
  private arrival = 0;
  private pacer: NodeJS.Timeout | undefined;
  /** set while requester.send runs: a reply that arrives synchronously must not recurse into another send */
  private sending = false;

  constructor(
    private readonly requester: Requester,
    private readonly model: LoadModel,
    private readonly drainMs = DEFAULT_DRAIN_MS,
  ) {
    if (model.kind === 'closed' && !(Number.isInteger(model.concurrency) && model.concurrency >= 1)) {
      throw new RangeError(`closed loop: concurrency must be an integer ≥ 1, got ${model.concurrency}`);
    }
    if (model.kind === 'open' && !(model.ratePerSec > 0 && model.maxInflight >= 1)) {
      throw new RangeError(`open loop: ratePerSec must be > 0 and maxInflight ≥ 1, got ${model.ratePerSec} / ${model.maxInflight}`);
    }
    if (model.kind === 'open' && !((model.phase ?? 0) >= 0 && (model.phase ?? 0) < 1))
      throw new RangeError(`open loop: phase must be in [0, 1), got ${model.phase}`);
    this.bucket = new Bucket(0);
  }

  /**
   * Starts (or resumes) sending. An open loop's schedule is anchored at `anchor` (a performance.now() instant,
   * default now): load workers given one start instant share one schedule.
   */
  start(anchor?: number): void {
    if (this.closed) throw new Error('the load loop is closed');
    if (this.running) return;
    this.running = true;
    this.rotate();
    if (this.model.kind === 'closed') this.refill();
    else {
      const intervalMs = 1000 / this.model.ratePerSec;
      this.anchor = (anchor ?? performance.now()) + (this.model.phase ?? 0) * intervalMs;
      // Arrivals that fell due before the loop was there (a worker late to a common instant) are skipped,
      // never sent in a burst: the loop joins the common schedule where it stands. Those due within a
      // timer's slop are still sent.
      const missedMs = performance.now() - this.anchor - MISSED_GRACE_MS;
      this.arrival = missedMs > 0 ? Math.ceil(missedMs / intervalMs) : 0;
      this.tick();
    }
  }

  /** Stops sending; resolves with the requests abandoned once the outstanding ones answered or the drain time ran out. */
  async pause(): Promise<number> {
    this.running = false;
    clearTimeout(this.pacer);
    this.pacer = undefined;
    if (this.meter) this.closeMeter(this.meter);
    await this.whenIdle(this.drainMs);
    clearTimeout(this.rotation);
    this.rotation = undefined;
    this.closeBucket(performance.now());
    this.finalizeBuckets(performance.now(), true);
    return this.inflight;
  }

  /** Pauses for good. */
  async close(): Promise<number> {
    const abandoned = await this.pause();
    this.closed = true;
    return abandoned;
  }

  /**
   * Runs until the series has settled by `policy` (judging only windows after this call), or until the
   * cap, and says which.
   */
  async warmUp(policy: SteadyPolicy): Promise<WarmupResult> {
    return (await LoadLoop.warmUpTogether([this], policy))[0]!;
  }

  /**
   * Runs several loops at once (the load groups of one point) until the first — the primary, whose figures
   * are the point's — has settled by `policy`, or until the cap. The others load the target all along and
   * their series are kept, but their own settling is not waited for: a background load of a few large
   * transfers completes too few requests per block to pass a throughput test that is meant for the
   * calls being measured, and whatever it still changes shows in the primary's throughput. Every result
   * carries that one `steady`; `last` is each loop's own judgement at the end.
   */
  static warmUpTogether(loops: readonly LoadLoop[], policy: SteadyPolicy): Promise<WarmupResult[]> {
    for (const l of loops) l.start();
    const from = loops.map((l) => l.series.length);
    const began = performance.now();
    return new Promise((resolve) => {
      const check = (): void => {
        const elapsed = performance.now() - began;
        const now = performance.now();
        const judged = loops.map((l, i) => {
          l.finalizeBuckets(now, false);
          const windows = l.series.slice(from[i]);
          return {
            windows,
            last: steadiness(
              windows.map((w) => w.ok),
              policy,
            ),
          };
        });
        const primary = judged[0]!.last;
        const steady = (primary?.steady ?? false) && elapsed >= policy.minMs;
        if (steady || elapsed >= policy.maxMs || loops.some((l) => !l.running)) {
          clearInterval(timer);
          resolve(judged.map((j) => ({ steady, elapsedMs: Math.round(elapsed), series: j.windows, last: j.last })));
        }
      };
      const timer = setInterval(check, policy.windowMs);
    });
  }

  /**
   * Opens a measured window now, closes it after `durationMs` (or once `maxRequests` were sent, 0 = no
   * limit), and resolves when the requests it sent have answered or the drain time ran out. The load goes
   * on after it closes. `onClose` runs the moment the window closes (before the drain).
   */
  measure(durationMs: number, options: { maxRequests?: number; onClose?: () => void } = {}): Promise<PacedResult> {
    return LoadLoop.measureTogether([this], durationMs, options).then((r) => r[0]!);
  }

  /**
   * Measured windows on several loops (the load groups of one point) over the same interval: opened in
   * one pass, closed in one pass by one timer, each then drained on its own. `onClose` runs once every
   * window has closed; results come in the loops' order.
   */
  static measureTogether(loops: readonly LoadLoop[], durationMs: number, options: { maxRequests?: number; onClose?: () => void } = {}): Promise<PacedResult[]> {
    for (const l of loops) {
      l.start();
      if (l.meter) throw new Error('a measured window is already open');
    }
    const now = performance.now();
    const meters = loops.map((l) => {
      const m = new Meter(now, options.maxRequests ?? 0, l.model.kind === 'open');
      l.meter = m;
      l.rotate(now);
      return m;
    });
    // one instant for every window's end: nothing is sent or answered during this synchronous pass
    const closeTimer = setTimeout(() => {
      const at = performance.now();
      loops.forEach((l, i) => {
        l.closeMeter(meters[i]!, at);
      });
    }, durationMs);
    let open = loops.length;
    return Promise.all(
      loops.map(
        (l, i) =>
          new Promise<PacedResult>((resolve) => {
            const m = meters[i]!;
            let drainTimer: NodeJS.Timeout | undefined;
            let done = false;
            const finish = (): void => {
              if (done) return;
              done = true;
              clearTimeout(drainTimer);
              m.onIdle = null;
              resolve(l.result(m));
            };
            m.onIdle = (): void => {
              // called once, when the meter has closed; its outstanding requests may still answer
              if (--open === 0) {
                clearTimeout(closeTimer);
                options.onClose?.();
              }
              if (m.inflight === 0) return finish();
              drainTimer ??= setTimeout(finish, l.drainMs);
              m.onIdle = () => {
                if (m.inflight === 0) finish();
              };
            };
          }),
      ),
    );
  }

  private closeMeter(m: Meter, now = performance.now()): void {
    if (m.to >= 0) return;
    m.to = now;
    m.cpu = process.cpuUsage(m.cpuAtOpen);
    if (this.meter === m) this.meter = null;
    if (this.running) this.rotate(now);
    m.onIdle?.();
  }

  private result(m: Meter): PacedResult {
    const elapsedMs = Math.max(0, m.to - m.from);
    const h = m.recorder.toHistogram();
    const cpu = m.cpu ?? { user: 0, system: 0 };
    const out: PacedResult = {
      requests: m.ok,
      errors: { ...m.errors },
      dropped: m.dropped,
      elapsedMs,
      requestsPerSec: elapsedMs > 0 ? m.ok / (elapsedMs / 1000) : 0,
      bytesIn: m.bytesIn,
      bytesOut: m.bytesOut,
      latency: summarize(h),
      histogram: encodeHistogram(h),
      abandoned: m.inflight,
      generatorCpu: (cpu.user + cpu.system) / 1000 / Math.max(1, elapsedMs),
      series: m.buckets.map((b) => b.sample()),
    };
    if (m.lag) out.sendLag = { p50Us: m.lag.quantile(0.5) ?? 0, p99Us: m.lag.quantile(0.99) ?? 0, maxUs: Math.round(m.lag.max) };
    return out;
  }

  /** Closes the current series window and opens the next, restarting the window timer at `now`. */
  private rotate(now = performance.now()): void {
    this.closeBucket(now);
    this.bucket = new Bucket(now - this.startedAt);
    this.pending.push(this.bucket);
    if (this.meter) this.meter.buckets.push(this.bucket);
    clearTimeout(this.rotation);
    if (this.running) {
      this.rotation = setTimeout(() => {
        this.rotate();
        this.finalizeBuckets(performance.now(), false);
      }, SERIES_WINDOW_MS);
    }
  }

  private closeBucket(now: number): void {
    const b = this.bucket;
    if (b.closedAt >= 0) return;
    b.closedAt = now;
    b.ms = now - this.startedAt - b.atMs;
  }

  /** Moves answered windows, oldest first, into the series; `force` also takes windows still waiting. */
  private finalizeBuckets(now: number, force: boolean): void {
    while (this.pending.length > 0) {
      const b = this.pending[0]!;
      if (b.closedAt < 0) break;
      if (b.inflight > 0 && !force && now - b.closedAt < this.drainMs) break;
      this.pending.shift();
      if (b.ms > 0 || b.ok + b.errors + b.dropped > 0) this.series.push(b.sample());
    }
  }

  private whenIdle(limitMs: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, limitMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }

  /** Sends one request whose latency counts from `from` (the send, or the due time). */
  private fire(from: number): void {
    const bucket = this.bucket;
    const meter = this.meter;
    this.inflight++;
    bucket.inflight++;
    if (meter) {
      meter.inflight++;
      meter.issued++;
      meter.bytesOut += this.requester.bytesOutPerRequest;
    }
    this.sending = true;
    this.requester.send((errorKind, received) => {
      const now = performance.now();
      this.inflight--;
      bucket.inflight--;
      const latencyUs = (now - from) * 1000;
      if (errorKind === null) {
        bucket.ok++;
        bucket.hist.record(latencyUs);
      } else bucket.errors++;
      if (meter) {
        meter.inflight--;
        meter.bytesIn += received;
        if (errorKind === null) {
          meter.ok++;
          meter.recorder.record(latencyUs);
        } else meter.errors[errorKind] = (meter.errors[errorKind] ?? 0) + 1;
        if (meter.to >= 0 && meter.inflight === 0) meter.onIdle?.();
      }
      if (this.inflight === 0 && this.idleWaiters.length) for (const w of this.idleWaiters.splice(0)) w();
      if (this.model.kind === 'closed' && this.running) {
        if (this.sending) setImmediate(() => this.refill());
        else this.refill();
      }
    });
    this.sending = false;
    if (meter && meter.maxRequests > 0 && meter.issued >= meter.maxRequests) this.closeMeter(meter);
  }

  private refill(): void {
    if (this.model.kind !== 'closed') return;
    // Counted up front: a request that fails synchronously must not be replaced inside this loop.
    for (let n = this.model.concurrency - this.inflight; n > 0 && this.running; n--) this.fire(performance.now());
  }

  private tick(): void {
    if (!this.running || this.model.kind !== 'open') return;
    const intervalMs = 1000 / this.model.ratePerSec;
    const now = performance.now();
    while (this.running) {
      const due = this.anchor + this.arrival * intervalMs;
      if (due > now) break;
      this.arrival++;
      if (this.inflight >= this.model.maxInflight) {
        this.bucket.dropped++;
        if (this.meter) this.meter.dropped++;
        continue;
      }
      this.meter?.lag?.record((now - due) * 1000);
      this.fire(due);
    }
    if (!this.running) return;
    // Sleep until the next arrival is due; whatever falls due meanwhile goes out together.
    const wait = this.anchor + this.arrival * intervalMs - performance.now();
    this.pacer = setTimeout(() => this.tick(), Math.max(0, wait));
  }
}
