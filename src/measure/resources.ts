/**
 * CPU time and memory of a process by pid, read from /proc (Linux). Sampling before and after a run gives
 * the CPU share the process used; `null` where /proc is not available. CPU time comes from each thread's
 * schedstat (nanoseconds) where the kernel has it — /proc/PID/stat counts in 10 ms ticks, too coarse for
 * CPU time per request over a one-second trial — and from stat otherwise.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

export interface ProcSample {
  /** user + system CPU time so far, ms */
  cpuMs: number;
  rssBytes: number;
  atMs: number;
}

export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name (which may itself contain spaces).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuMs: schedCpuMs(pid) ?? ((utime + stime) * 1000) / TICKS_PER_SECOND, rssBytes: rssPages * 4096, atMs: performance.now() };
  } catch {
    return null;
  }
}

/**
 * Run time of every live thread, summed, in ms (null without schedstat). Threads that exited since the last
 * sample take their time with them; Node's threads live as long as the process, so that does not arise.
 */
function schedCpuMs(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8');
      ns += Number(text.slice(0, text.indexOf(' ')));
    }
    return Number.isFinite(ns) ? ns / 1e6 : null;
  } catch {
    return null;
  }
}

/** CPU used between two samples as a share of one core (1.0 = one core fully busy). */
export function cpuShare(before: ProcSample, after: ProcSample): number {
  const wall = after.atMs - before.atMs;
  return wall > 0 ? (after.cpuMs - before.cpuMs) / wall : 0;
}

/** The live descendants of `root` (children, grandchildren, …), zombies excluded: a forking server's workers. */
export function descendantPids(root: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  for (const d of entries) {
    if (!/^\d+$/.test(d)) continue;
    const ppid = parentPid(Number(d));
    if (ppid === null) continue;
    const list = children.get(ppid);
    if (list === undefined) children.set(ppid, [Number(d)]);
    else list.push(Number(d));
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Whether `pid` is a running process (a zombie — exited, not yet reaped — counts as gone). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * Resets the kernel's peak-RSS mark of `pid` (writing 5 to clear_refs; only for our own processes), so
 * that peakRssBytes reads the peak since now — exact, however briefly the peak lasted.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS (VmHWM) since the process started or since resetPeakRss, or null. */
export function peakRssBytes(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' ? null : Number(fields[1]);
  } catch {
    return null;
  }
}
