/** CPU pinning with taskset, when this machine has it and enough cores for the pin to mean something. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { MuxbenchError } from '../errors.ts';

let tasksetPath: string | null | undefined;

export function tasksetAvailable(): boolean {
  if (tasksetPath === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetPath = 'taskset';
    } catch {
      tasksetPath = null;
    }
  }
  return tasksetPath !== null;
}

/** The cores the kernel lets a process run on, as it writes them (its Cpus_allowed_list); null off Linux. */
export function allowedCpus(pid: number | 'self' = 'self'): CpuSet | null {
  try {
    return /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/**
 * The cores this process may use as it started — before any pinSelf — from its Cpus_allowed_list (a
 * container's cpuset included), else 0 … availableParallelism() − 1. Read once, at the first ask (pinSelf
 * asks before it pins): a process that pinned itself to one core still places its children on any of them
 * (taskset on a child is not bound by its parent's pin).
 */
let startingCores: readonly number[] | undefined;

/** The cores a pin may name: those this process could use when it started. */
export function usableCores(): readonly number[] {
  if (startingCores === undefined) {
    const list = allowedCpus();
    // the kernel's own list: read as any set is, with no machine to check it against
    startingCores = list ? parseCpuSet(list, Number.MAX_SAFE_INTEGER) : Array.from({ length: availableParallelism() }, (_, i) => i);
  }
  return startingCores;
}

export function coreCount(): number {
  return usableCores().length;
}

/**
 * A set of cores as taskset and Linux write it: "0", "0-3", "0-3,6,8-9". What a scenario's `cpus`, the
 * `--cpus` option and every pinned process take.
 */
export type CpuSet = string;

/** A CPU set that is not one, or names a core this machine lacks. */
export class CpuSetError extends MuxbenchError {
  override readonly name = 'CpuSetError';
  readonly code = 'MUX_ERR_CPU_SET';
}

/**
 * The cores of a set, ascending; throws CpuSetError naming what is wrong ("4-2", "x", a core this process
 * may not use). `usable`: those cores, or a count of them from 0 (default: usableCores()).
 */
export function parseCpuSet(text: string, usable: number | readonly number[] = usableCores()): number[] {
  const allowed = (c: number): boolean => (typeof usable === 'number' ? c < usable : usable.includes(c));
  const machine = typeof usable === 'number' ? `0-${usable - 1}` : formatCpuSet(usable);
  const out = new Set<number>();
  const parts = text.trim() === '' ? [] : text.split(',');
  if (parts.length === 0) throw new CpuSetError(`a CPU set names cores, such as 0-3 or 0,2, got '${text}'`);
  for (const part of parts) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new CpuSetError(`'${part.trim()}' in the CPU set '${text}' is not a core or a range (0, 2-5)`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) throw new CpuSetError(`'${part.trim()}' in the CPU set '${text}' runs backwards`);
    for (let c = from; c <= to; c++) {
      if (!allowed(c)) throw new CpuSetError(`core ${c} in the CPU set '${text}' is not on this machine (cores ${machine})`);
      out.add(c);
    }
  }
  return [...out].sort((a, b) => a - b);
}

/** "core 0", "cores 0-3". */
export function coresText(set: CpuSet | number): string {
  return /^\d+$/.test(String(set)) ? `core ${set}` : `cores ${set}`;
}

/** A set written back in its shortest form: [0, 1, 2, 3, 6] → "0-3,6". */
export function formatCpuSet(cores: readonly number[]): CpuSet {
  const sorted = [...new Set(cores)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    runs.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return runs.join(',');
}

/** The first `n` cores of a set ("0-3", 2 → "0-1"); throws CpuSetError when the set has fewer. */
export function firstCores(set: CpuSet, n: number): CpuSet {
  const cores = parseCpuSet(set);
  if (!Number.isInteger(n) || n < 1 || n > cores.length) throw new CpuSetError(`${n} cores of the set '${set}', which has ${cores.length}`);
  return formatCpuSet(cores.slice(0, n));
}

/** The command line that runs `argv` pinned to the cores of `cpus` (or unpinned when pinning is not possible). */
export function pinnedCommand(argv: string[], cpus: CpuSet | undefined): string[] {
  if (cpus === undefined || !tasksetAvailable()) return argv;
  try {
    parseCpuSet(cpus);
  } catch {
    return argv; // a set this machine cannot give (validated where it was chosen: placement())
  }
  return ['taskset', '-c', cpus, ...argv];
}

/** Pins every thread of this process to the cores of `cpus`; returns whether it worked. */
export function pinSelf(cpus: CpuSet): boolean {
  if (!tasksetAvailable()) return false;
  usableCores(); // the cores it started with, read before the pin narrows them
  try {
    parseCpuSet(cpus);
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
