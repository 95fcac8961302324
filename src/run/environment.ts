/** The machine a run happened on, recorded with every result. */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, release, type as osType } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../measure/results.ts';
import { coreCount, tasksetAvailable } from '../os/cpus.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export function gitCommit(): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}

function hasH2load(): boolean {
  try {
    execFileSync('h2load', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Systems on core 0 and the load engine on core 1 when there are two cores and taskset; else unpinned. */
export function placement(): { pinned: boolean; systemCpu: number | undefined; loadCpu: number | undefined } {
  const pinned = tasksetAvailable() && coreCount() >= 2;
  return pinned ? { pinned, systemCpu: 0, loadCpu: 1 } : { pinned, systemCpu: undefined, loadCpu: undefined };
}

export function environment(): Environment {
  const p = placement();
  return {
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: coreCount(),
    os: `${osType()} ${release()}`,
    hostname: hostname(),
    commit: gitCommit(),
    pinned: p.pinned,
    systemCpu: p.systemCpu ?? null,
    loadCpu: p.loadCpu ?? null,
    h2load: hasH2load(),
  };
}
