/**
 * `muxbench gate`: is the working tree slower than a base revision, on this machine, today? The base is
 * checked out in a temporary worktree, both trees' systems are measured interleaved (run.ts), and the
 * comparisons are judged together (verdict.ts). Exit 0 = no regression, 1 = regression, 2 = could not
 * decide or could not run.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CompareOptions, compareRunPairs } from '../report/compare.ts';
import { gitCommit } from '../run/environment.ts';
import type { Progress } from '../run/progress.ts';
import { REPORTS_DIR, runId } from '../run/runner.ts';
import { MUXBENCH_BIN } from '../run/supervise.ts';
import { expandPoints, loadScenario } from '../scenario/index.ts';
import { PROFILE_DIR_ENV } from '../systems/profiler.ts';
import { type BaseTree, checkoutBase, givenBase } from './base-tree.ts';
import { GateRunner, type GateScenarioRun } from './run.ts';
import { decideGate, GATE_COMPARE_OPTIONS, type GateDecision, type GateOutputs, writeGateOutputs } from './verdict.ts';

export { GateError } from './errors.ts';
export { GATE_COMPARE_OPTIONS } from './verdict.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The pull-request profile: both tunnels around the stream limit, http_grpc both modes, the origin as a control. */
export const DEFAULT_GATE_SCENARIOS = ['gate'];

export interface GateOptions {
  /** a git revision of this repository … */
  baseRef: string;
  /** … or a prepared tree to use as the base instead */
  baseDir?: string;
  scenarios: readonly string[];
  rounds: number;
  trialMs?: number;
  rewarmMs: number;
  candidateEnv: Record<string, string>;
  baseEnv: Record<string, string>;
  /** how changes are judged (default GATE_COMPARE_OPTIONS) */
  compare?: CompareOptions;
  /** where gate/<run-id>/ goes (default reports/) */
  reportsDir?: string;
  /** after each point's rounds, one more trial per side with every system process under V8's CPU profiler */
  profile?: boolean;
  progress: Progress;
  signal?: AbortSignal;
}

export interface GateResult {
  decision: GateDecision;
  outputs: GateOutputs;
  runs: GateScenarioRun[];
}

export async function runGate(o: GateOptions): Promise<GateResult> {
  const started = Date.now();
  // Scenario files are checked before the base is checked out: a typo should fail in a second.
  let planned = 0;
  for (const name of o.scenarios) planned += expandPoints((await loadScenario(name)).scenario, false).length;
  const base: BaseTree = o.baseDir ? givenBase(o.baseDir) : checkoutBase(ROOT, o.baseRef, (m) => o.progress.note(m));
  try {
    o.progress.note(
      `base ${o.baseRef}${base.commit ? ` (${base.commit.slice(0, 12)})` : ''} in ${base.dir} (dependencies ${base.install}); candidate: this working tree`,
    );
    const candidateCommit = gitCommit();
    const dir = join(o.reportsDir ?? REPORTS_DIR, 'gate', runId());
    // A base tree older than the profiler would die of SIGUSR2 (its default action): it is not asked.
    const profile = { base: o.profile === true && existsSync(join(base.dir, 'src', 'systems', 'profiler.ts')), candidate: o.profile === true };
    if (o.profile && !profile.base) o.progress.note('profiling: the base tree has no CPU profiler (src/systems/profiler.ts): only the candidate is profiled');
    const profileEnv = (side: 'base' | 'candidate'): NodeJS.ProcessEnv => {
      if (!profile[side]) return {};
      const where = join(dir, 'profiles', side);
      mkdirSync(where, { recursive: true });
      return { [PROFILE_DIR_ENV]: where };
    };
    o.progress.start(planned * o.rounds * 2);
    const runner = new GateRunner({
      scenarios: o.scenarios,
      sides: {
        base: {
          name: 'base',
          start: { bin: base.bin, env: { ...process.env, ...o.baseEnv, ...profileEnv('base') } },
          commit: base.commit?.slice(0, 12) ?? null,
        },
        candidate: {
          name: 'candidate',
          start: { bin: MUXBENCH_BIN, env: { ...process.env, ...o.candidateEnv, ...profileEnv('candidate') } },
          commit: candidateCommit,
        },
      },
      profile,
      rounds: o.rounds,
      trialMs: o.trialMs,
      rewarmMs: o.rewarmMs,
      outDir: dir,
      progress: o.progress,
      signal: o.signal,
    });
    const runs = await runner.run();
    const comparisons = compareRunPairs(
      runs.map((r) => [r.base, r.candidate] as const),
      o.compare ?? GATE_COMPARE_OPTIONS,
    );
    const decision = decideGate(comparisons, runs);
    const outputs = writeGateOutputs(dir, runs, comparisons, decision, {
      baseRef: o.baseRef,
      baseCommit: base.commit,
      candidateCommit,
      candidateEnv: o.candidateEnv,
      rounds: o.rounds,
      wallSeconds: (Date.now() - started) / 1000,
      machine: `${hostname()}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`,
    });
    return { decision, outputs, runs };
  } finally {
    o.progress.done();
    base.remove();
  }
}
