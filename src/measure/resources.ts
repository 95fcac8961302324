/**
 * CPU time and memory of a process by pid, read from /proc (Linux). Sampling before and after a run gives
 * the CPU share the process used; `null` where /proc is not available.
 */
import { readFileSync } from 'node:fs';

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
    return { cpuMs: ((utime + stime) * 1000) / TICKS_PER_SECOND, rssBytes: rssPages * 4096, atMs: performance.now() };
  } catch {
    return null;
  }
}

/** CPU used between two samples as a share of one core (1.0 = one core fully busy). */
export function cpuShare(before: ProcSample, after: ProcSample): number {
  const wall = after.atMs - before.atMs;
  return wall > 0 ? (after.cpuMs - before.cpuMs) / wall : 0;
}
