/**
 * `--profile`: one extra trial per point with every system process under V8's sampling profiler (started
 * just before the trial's window opens, stopped once its requests have answered: src/systems/profiler.ts),
 * each profile kept beside the results and summarised into them. External systems are not ours to profile: their
 * entry says so.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { type CpuProfile, summarizeProfile } from '../measure/profile.ts';
import type { ProcessProfile, TrialResult } from '../measure/results.ts';
import type { ProfileAnswer } from './supervise.ts';
import type { Target } from './targets.ts';

/** What profiling cost: a profiled trial's requests/s against the point's own median, −0.08 = 8 % fewer (null without a base). */
export function profileOverhead(profiled: TrialResult, baseRequestsPerSec: number): number | null {
  return baseRequestsPerSec > 0 ? Math.round((profiled.requestsPerSec / baseRequestsPerSec - 1) * 1000) / 1000 : null;
}

/** Where a run keeps its profiles, relative to its directory. */
export const PROFILES_DIR = 'profiles';

function failed(a: ProfileAnswer, what: string): string {
  return 'error' in a && a.error ? a.error : `the profiler did not ${what}`;
}

/**
 * Runs `trial` with every process of `target` profiled. The processes write into a profiles directory
 * (MUXBENCH_PROFILE_DIR, set when they were started); entries name the files relative to `resultsDir`, the
 * directory of the results file they go into.
 */
export async function profiledTrial<T extends TrialResult | TrialResult[]>(
  target: Target,
  resultsDir: string,
  trial: () => Promise<T>,
): Promise<{ trial: T; processes: ProcessProfile[] }> {
  const roles = Object.entries(target.processes);
  const started = await Promise.all(roles.map(([, p]) => p.profile()));
  // stop whatever started, even when the trial fails: a profiler left running slows every later point
  const stop = (): Promise<ProfileAnswer[]> =>
    Promise.all(roles.map(([, p], i) => (started[i]!.event === 'profile-started' ? p.profile() : Promise.resolve(started[i]!))));
  let result: T;
  try {
    result = await trial();
  } catch (err) {
    await stop();
    throw err;
  }
  const stopped = await stop();
  const processes = roles.map(([role], i): ProcessProfile => {
    const start = started[i]!;
    if (start.event !== 'profile-started') return { role, file: null, error: failed(start, 'start') };
    const stop = stopped[i]!;
    if (stop.event !== 'profile' || !stop.file) return { role, file: null, error: failed(stop, 'write a profile') };
    try {
      const profile = JSON.parse(readFileSync(stop.file, 'utf8')) as CpuProfile;
      return { role, file: relative(resultsDir, stop.file), summary: summarizeProfile(profile) };
    } catch (err) {
      return { role, file: null, error: `the profile ${stop.file} could not be read: ${(err as Error).message}` };
    }
  });
  return { trial: result, processes };
}
