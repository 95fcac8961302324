/**
 * Drives a Requester in a closed or open loop and measures it.
 *
 * Closed loop: `concurrency` requests always outstanding; latency counts from each send.
 * Open loop: arrivals are scheduled from the absolute start time (arrival i at start + i/rate) and latency
 * counts from the *intended* arrival time, so a stalled server shows up as latency instead of silently
 * slowing the sender down (coordinated omission). An arrival that finds `maxInflight` requests outstanding
 * is dropped and counted, never sent late.
 *
 * Only requests sent inside [warm-up end, deadline) are measured.
 */
import { encodeHistogram, LatencyRecorder, type LatencySummary, summarize } from '../measure/histogram.ts';
import type { LoadBudget, LoadModel, Requester } from './types.ts';

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
}

export function runPaced(requester: Requester, model: LoadModel, budget: LoadBudget): Promise<PacedResult> {
  if (model.kind === 'closed' && !(Number.isInteger(model.concurrency) && model.concurrency >= 1)) {
    return Promise.reject(new RangeError(`closed loop: concurrency must be an integer ≥ 1, got ${model.concurrency}`));
  }
  if (model.kind === 'open' && !(model.ratePerSec > 0 && model.maxInflight >= 1)) {
    return Promise.reject(new RangeError(`open loop: ratePerSec must be > 0 and maxInflight ≥ 1, got ${model.ratePerSec} / ${model.maxInflight}`));
  }
  return new Promise((resolve) => {
    const recorder = new LatencyRecorder();
    const errors: Record<string, number> = {};
    const maxRequests = budget.maxRequests ?? 0;
    const start = performance.now();
    const measureFrom = start + budget.warmupMs;
    const deadline = measureFrom + budget.durationMs;
    let cpuAtWindow: NodeJS.CpuUsage | null = null;
    let windowOpenedAt = 0;
    let issued = 0;
    let inflight = 0;
    let ok = 0;
    let dropped = 0;
    let bytesIn = 0;
    let bytesOut = 0;
    let stopping = false;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;

    const openWindow = (now: number): void => {
      if (cpuAtWindow === null && now >= measureFrom) {
        cpuAtWindow = process.cpuUsage();
        windowOpenedAt = now;
      }
    };

    // Open the measured window on time, whether or not a request completes at that moment.
    const windowTimer = setTimeout(() => openWindow(performance.now()), Math.max(0, measureFrom - performance.now()));

    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(windowTimer);
      const end = Math.min(performance.now(), deadline);
      const cpu = cpuAtWindow ? process.cpuUsage(cpuAtWindow) : { user: 0, system: 0 };
      const elapsedMs = Math.max(0, end - measureFrom);
      const h = recorder.toHistogram();
      const cpuWallMs = Math.max(1, performance.now() - (windowOpenedAt || measureFrom));
      resolve({
        requests: ok,
        errors,
        dropped,
        elapsedMs,
        requestsPerSec: elapsedMs > 0 ? ok / (elapsedMs / 1000) : 0,
        bytesIn,
        bytesOut,
        latency: summarize(h),
        histogram: encodeHistogram(h),
        abandoned: inflight,
        generatorCpu: (cpu.user + cpu.system) / 1000 / cpuWallMs,
      });
    };

    const canIssue = (now: number): boolean => !stopping && now < deadline && (maxRequests === 0 || issued < maxRequests);

    /** Sends one request whose latency counts from `from` (the send, or the intended arrival). */
    const fire = (from: number, measured: boolean, onDone?: () => void): void => {
      issued++;
      inflight++;
      if (measured) bytesOut += requester.bytesOutPerRequest;
      requester.send((errorKind, received) => {
        inflight--;
        const now = performance.now();
        if (measured) {
          bytesIn += received;
          if (errorKind === null) {
            ok++;
            recorder.record((now - from) * 1000);
          } else {
            errors[errorKind] = (errors[errorKind] ?? 0) + 1;
          }
        }
        onDone?.();
        if (stopping && inflight === 0) finish();
      });
    };

    const stop = (): void => {
      if (stopping) return;
      stopping = true;
      if (inflight === 0) return finish();
      timer = setTimeout(finish, budget.drainMs ?? 5000);
    };

    if (model.kind === 'closed') {
      const next = (): void => {
        const now = performance.now();
        openWindow(now);
        if (!canIssue(now)) return stop();
        fire(now, now >= measureFrom && now < deadline, next);
      };
      for (let i = 0; i < model.concurrency; i++) next();
      return;
    }

    // open loop
    const intervalMs = 1000 / model.ratePerSec;
    let arrival = 0;
    const tick = (): void => {
      if (stopping) return;
      const now = performance.now();
      openWindow(now);
      while (true) {
        const intended = start + arrival * intervalMs;
        if (intended > now) break;
        if (!canIssue(intended)) return stop();
        arrival++;
        const measured = intended >= measureFrom && intended < deadline;
        if (inflight >= model.maxInflight) {
          if (measured) dropped++;
          continue;
        }
        fire(intended, measured);
      }
      const wait = start + arrival * intervalMs - performance.now();
      // Timers are coarse (≥ 1 ms); close to the next arrival, yield to I/O and look again.
      timer = wait > 2 ? setTimeout(tick, wait - 1) : (setImmediate(tick) as unknown as NodeJS.Timeout);
    };
    tick();
  });
}
