/** Process-tree checks: which processes descend from a pid, and whether any are still alive. */
import { readFileSync } from 'node:fs';
import { descendantPids, processAlive } from '../../src/measure/resources.ts';

/** Live descendants of `root` (not counting zombies). */
export function descendants(root: number): number[] {
  return descendantPids(root);
}

export function alive(pids: number[]): number[] {
  return pids.filter(processAlive);
}

/**
 * The command lines of this test process's live descendants, but for the esbuild service that compiles
 * TypeScript for the test process itself: what a run left behind (it should be nothing).
 */
export function leftBehind(): string[] {
  return alive(descendants(process.pid))
    .map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return String(p);
      }
    })
    .filter((cmd) => !cmd.includes('esbuild --service'));
}
