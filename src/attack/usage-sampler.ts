/**
 * The target's CPU and memory around one pattern, per role (edge, connector, origin, …), each role
 * being a process and its descendants (nghttpx forks its workers). CPU time is read at the phase
 * boundaries; the RSS peak comes from the kernel's own high-water mark (VmHWM), reset when the attack
 * starts, so a spike shorter than any sampling interval still counts — with a sampled peak as the
 * fallback where the mark cannot be reset (a process of another user given by --pid).
 */
import { descendantPids, peakRssBytes, resetPeakRss, sampleProcess } from '../measure/resources.ts';

export interface RoleUsage {
  pids: number[];
  /** CPU as a share of one core, per phase (null: the process was gone) */
  cpuBaseline: number | null;
  cpuAttack: number | null;
  cpuRecovery: number | null;
  /** CPU time spent during the attack phase */
  cpuAttackMs: number | null;
  /** RSS when the attack started */
  rssBeforeBytes: number | null;
  /** highest RSS from the attack's start to the end of recovery */
  rssPeakBytes: number | null;
  /** RSS at the end of recovery: memory the attack left behind */
  rssAfterBytes: number | null;
  rssGrowthBytes: number | null;
  /** the peak is the kernel's high-water mark, not a sample */
  peakExact: boolean;
}

type Mark = 'baseline' | 'attack' | 'recovery' | 'end';

interface Snapshot {
  cpuMs: number;
  rssBytes: number;
  atMs: number;
}

/** How often RSS is sampled between marks, for the fallback peak. */
const SAMPLE_INTERVAL_MS = 100;

export class UsageSampler {
  private readonly trees: Record<string, number[]>;
  private readonly marks: Record<string, Partial<Record<Mark, Snapshot | null>>> = {};
  private readonly sampledPeak: Record<string, number> = {};
  private exactPeak: Record<string, boolean> = {};
  private timer: NodeJS.Timeout | null = null;

  constructor(roles: Record<string, number>) {
    this.trees = Object.fromEntries(Object.entries(roles).map(([role, pid]) => [role, [pid, ...descendantPids(pid)]]));
    for (const role of Object.keys(this.trees)) this.marks[role] = {};
  }

  mark(mark: Mark): void {
    for (const [role, pids] of Object.entries(this.trees)) {
      const snap = snapshot(pids);
      this.marks[role]![mark] = snap;
      if (mark === 'attack') {
        this.exactPeak[role] = pids.every((p) => resetPeakRss(p));
        this.sampledPeak[role] = snap?.rssBytes ?? 0;
      } else if (snap !== null && this.sampledPeak[role] !== undefined) {
        this.sampledPeak[role] = Math.max(this.sampledPeak[role]!, snap.rssBytes);
      }
    }
    if (mark === 'attack' && this.timer === null) {
      this.timer = setInterval(() => this.samplePeaks(), SAMPLE_INTERVAL_MS);
      this.timer.unref();
    }
    if (mark === 'end') this.stop();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Call after mark('end'). */
  usage(): Record<string, RoleUsage> {
    const out: Record<string, RoleUsage> = {};
    for (const [role, pids] of Object.entries(this.trees)) {
      const m = this.marks[role]!;
      const hwm = this.exactPeak[role] ? sumOrNull(pids.map(peakRssBytes)) : null;
      const sampled = this.sampledPeak[role];
      const peak = hwm !== null ? Math.max(hwm, sampled ?? 0) : (sampled ?? null);
      const before = m.attack?.rssBytes ?? null;
      out[role] = {
        pids,
        cpuBaseline: share(m.baseline, m.attack),
        cpuAttack: share(m.attack, m.recovery),
        cpuRecovery: share(m.recovery, m.end),
        cpuAttackMs: m.attack && m.recovery ? Math.round(m.recovery.cpuMs - m.attack.cpuMs) : null,
        rssBeforeBytes: before,
        rssPeakBytes: peak,
        rssAfterBytes: m.end?.rssBytes ?? null,
        rssGrowthBytes: before !== null && peak !== null ? Math.max(0, peak - before) : null,
        peakExact: hwm !== null,
      };
    }
    return out;
  }

  private samplePeaks(): void {
    for (const [role, pids] of Object.entries(this.trees)) {
      const snap = snapshot(pids);
      if (snap !== null) this.sampledPeak[role] = Math.max(this.sampledPeak[role] ?? 0, snap.rssBytes);
    }
  }
}

/** The tree's summed CPU time and RSS, or null once any of its processes is gone. */
function snapshot(pids: readonly number[]): Snapshot | null {
  let cpuMs = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const s = sampleProcess(pid);
    if (s === null) return null;
    cpuMs += s.cpuMs;
    rssBytes += s.rssBytes;
  }
  return { cpuMs, rssBytes, atMs: performance.now() };
}

function share(from: Snapshot | null | undefined, to: Snapshot | null | undefined): number | null {
  if (!from || !to || to.atMs <= from.atMs) return null;
  return Math.round(((to.cpuMs - from.cpuMs) / (to.atMs - from.atMs)) * 1000) / 1000;
}

function sumOrNull(values: (number | null)[]): number | null {
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return sum;
}
