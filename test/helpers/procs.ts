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
        const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
        // a process whose memory is already released (it is exiting) has an empty command line
        return cmd || `${p} ${readFileSync(`/proc/${p}/stat`, 'utf8').split(' ').slice(1, 3).join(' ')} (exiting?)`;
      } catch {
        return String(p);
      }
    })
    .filter((cmd) => !cmd.includes('esbuild --service'));
}
