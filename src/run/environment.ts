/** The machine a run happened on, recorded with every result. */
import { execFileSync } from 'node:child_process';
import { cpus, hostname, release, type as osType } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Environment } from '../measure/results.ts';
import { coreCount, type CpuSet, parseCpuSet, tasksetAvailable, usableCores } from '../os/cpus.ts';

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

/** Where a run's processes go: the systems' cores and the load's (undefined: unpinned). */
export interface Placement {
  pinned: boolean;
  systemCpu: CpuSet | undefined;
  loadCpu: CpuSet | undefined;
}

/** The cores a scenario (`cpus`) or the command line (`--cpus`) asks for; either may be left to the default. */
export interface CpuRequest {
  systems?: CpuSet;
  load?: CpuSet;
}

/**
 * Where systems and load run: on the sets asked for; by default the systems on the first usable core (0) and the load on the next (1)
 * when there are two cores or more and taskset (a machine of more cores is asked for its own sets); else
 * unpinned. A set this machine cannot give throws CpuSetError naming it. Sets may overlap (the report says so).
 */
export function placement(asked: CpuRequest = {}): Placement {
  const cores = usableCores();
  for (const set of [asked.systems, asked.load]) if (set !== undefined) parseCpuSet(set, cores);
  if (!tasksetAvailable()) return { pinned: false, systemCpu: undefined, loadCpu: undefined };
  const fallback = cores.length >= 2;
  const systemCpu = asked.systems ?? (fallback ? String(cores[0]) : undefined);
  const loadCpu = asked.load ?? (fallback ? String(cores[1]) : undefined);
  return { pinned: systemCpu !== undefined && loadCpu !== undefined, systemCpu, loadCpu };
}

export function environment(asked: CpuRequest = {}): Environment {
  const p = placement(asked);
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
