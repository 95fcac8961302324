/** CPU pinning with taskset, when this machine has it and enough cores for the pin to mean something. */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

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

export function coreCount(): number {
  return availableParallelism();
}

/** The command line that runs `argv` pinned to `cpu` (or unpinned when pinning is not possible). */
export function pinnedCommand(argv: string[], cpu: number | undefined): string[] {
  if (cpu === undefined || !tasksetAvailable() || cpu >= coreCount()) return argv;
  return ['taskset', '-c', String(cpu), ...argv];
}

/** Pins every thread of this process to `cpu`; returns whether it worked. */
export function pinSelf(cpu: number): boolean {
  if (!tasksetAvailable() || cpu >= coreCount()) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
