/**
 * `--profile=clinic`: clinic doctor and clinic flame pages per system process. clinic samples a process from
 * its start to its exit and writes its page when the process has gone, so it cannot cover one window of a
 * system the runner keeps warm across points: per point and tool, the point's system is started afresh with
 * each of its processes under a clinic collector (src/run/clinic-collect.ts), warmed up and measured over
 * one trial like the point, then stopped — and clinic writes one self-contained HTML page per process into
 * the run's `clinic/` directory. The @clinic packages are optional dependencies, loaded only by the
 * collector processes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClinicPage, ClinicProfile, TrialResult } from '../measure/results.ts';
import { profileOverhead } from './profile.ts';
import type { StartOptions } from './supervise.ts';
import type { Target } from './targets.ts';

export const CLINIC_TOOLS = ['doctor', 'flame'] as const;
export type ClinicToolName = (typeof CLINIC_TOOLS)[number];
/** Where a run keeps clinic's pages, relative to its directory. */
export const CLINIC_DIR = 'clinic';
/** How long a collector may take, after its system was asked to end, to collect and write its page. */
export const CLINIC_STOP_MS = 180_000;

const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
const COLLECTOR = fileURLToPath(new URL('./clinic-collect.ts', import.meta.url));

/** Why `--profile=clinic` cannot run here (a package missing), or null. Resolves the packages without loading them. */
export function clinicMissing(): string | null {
  const require = createRequire(import.meta.url);
  const missing = CLINIC_TOOLS.map((t) => `@clinic/${t}`).filter((p) => {
    try {
      require.resolve(p);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return null;
  return `--profile=clinic needs ${missing.join(' and ')} (optional dependencies, not installed here): npm install ${missing.join(' ')}`;
}

export interface ClinicPointOptions {
  /** the run's directory: pages go to its clinic/ directory and are named relative to it */
  runDir: string;
  pointIndex: number;
  /** starts the point's system with these options (the wrap that puts each process under the tool) */
  start(options: Pick<StartOptions, 'wrap' | 'stopGraceMs'>): Promise<Target>;
  /** warms the target up and measures one trial on it, as the point's own trials were */
  measure(target: Target): Promise<TrialResult>;
  /** the median requests/s of the point's own trials, for the overhead */
  baseRequestsPerSec: number;
  /** the system runs processes that are not ours (an external system): nothing to put under clinic */
  external?: boolean;
}

/** Every clinic tool over the point, one after the other. A tool that fails says why; the others still run. */
export async function clinicProfiles(o: ClinicPointOptions): Promise<ClinicProfile[]> {
  const dir = join(o.runDir, CLINIC_DIR);
  mkdirSync(dir, { recursive: true });
  const out: ClinicProfile[] = [];
  for (const tool of CLINIC_TOOLS) out.push(await clinicProfile(o, dir, tool));
  return out;
}

async function clinicProfile(o: ClinicPointOptions, dir: string, tool: ClinicToolName): Promise<ClinicProfile> {
  if (o.external) return { tool, overhead: null, error: 'an external system: its processes are not ours to run under clinic', processes: [] };
  /** by system name (the ready line's `system`): the page its collector writes */
  const pages = new Map<string, string>();
  const wrap = (system: string, argv: string[]): string[] => {
    const name = `${o.pointIndex}-${tool}-${system}`;
    pages.set(system, join(dir, `${name}.html`));
    return [process.execPath, RUN_TS, COLLECTOR, tool, dir, name, '--', ...argv];
  };
  const startedAt = performance.now();
  let target: Target;
  try {
    target = await o.start({ wrap, stopGraceMs: CLINIC_STOP_MS });
  } catch (err) {
    return { tool, overhead: null, error: `the system did not start under clinic ${tool}: ${firstLine(err)}`, processes: [] };
  }
  let trial: TrialResult | undefined;
  let error: string | undefined;
  try {
    trial = await o.measure(target);
  } catch (err) {
    error = `the trial under clinic ${tool} failed: ${firstLine(err)}`;
  }
  const roles = Object.entries(target.processes);
  const lifeMs = Math.round(performance.now() - startedAt);
  await target.stop();
  const processes = roles.map(([role, p]): ClinicPage => {
    const file = pages.get(p.ready.system);
    if (file === undefined) return { role, html: null, error: 'not a muxbench system process' };
    if (p.child.exitCode === 0 && existsSync(file)) return { role, html: join(CLINIC_DIR, basename(file)) };
    const why = p
      .stderrTail()
      .split('\n')
      .filter((l) => l.startsWith('clinic-collect: '))
      .pop();
    const how =
      p.child.exitCode === null
        ? `ended by ${p.child.signalCode ?? 'a signal'} (it had ${CLINIC_STOP_MS / 1000} s to write its page)`
        : `exited with code ${p.child.exitCode}`;
    return { role, html: null, error: why ? why.slice('clinic-collect: '.length) : `the collector ${how} without a page` };
  });
  const overhead = trial ? profileOverhead(trial, o.baseRequestsPerSec) : null;
  return { tool, ...(trial ? { trial } : {}), overhead, lifeMs, ...(error ? { error } : {}), processes };
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
