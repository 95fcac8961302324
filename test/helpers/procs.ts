/** Process-tree checks: which processes descend from a pid, and whether any are still alive. */
import { descendantPids, processAlive } from '../../src/measure/resources.ts';

/** Live descendants of `root` (not counting zombies). */
export function descendants(root: number): number[] {
  return descendantPids(root);
}

export function alive(pids: number[]): number[] {
  return pids.filter(processAlive);
}
