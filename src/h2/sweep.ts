/**
 * Coarse time for timeouts: one interval timer for every session in the process instead of a timer per
 * session or per stream. `clock.now` (ms, monotonic) is refreshed on every tick and whenever a session
 * joins, so marking a time on the hot path is one property read; the timer is unref'd and stops when no
 * session is watched.
 */
import { SWEEP_INTERVAL_MS } from './limits.ts';

export interface Sweepable {
  /** Checks this member's timeouts; `now` is `clock.now`. Must not throw (sessions catch their own). */
  sweep(now: number): void;
}

export const clock = { now: performance.now() };

const members = new Set<Sweepable>();
let timer: NodeJS.Timeout | null = null;

function tick(): void {
  clock.now = performance.now();
  for (const m of members) m.sweep(clock.now);
}

export function watch(m: Sweepable): void {
  clock.now = performance.now();
  members.add(m);
  if (timer === null) {
    timer = setInterval(tick, SWEEP_INTERVAL_MS);
    timer.unref();
  }
}

export function unwatch(m: Sweepable): void {
  members.delete(m);
  if (members.size === 0 && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
}
