/**
 * The attack results file (reports/attack/<run-id>/results.json): plain data, versioned, written after
 * every pattern so an interrupted run keeps what it measured. The HTML report and the stdout table are
 * pure functions of it. Change the shape only with a new schema value.
 */
import type { Environment } from '../measure/results.ts';
import type { Answer, Observation, PatternInfo } from './patterns/index.ts';
import type { Service } from './service.ts';
import type { RoleUsage } from './usage-sampler.ts';
import type { Limits, Verdict } from './verdict.ts';

export const ATTACK_SCHEMA = 'muxbench.attack/1';

export interface AttackSettings {
  /** load before the first pattern, so JIT and connections settle */
  warmupMs: number;
  baselineMs: number;
  /** longest attack traffic per pattern */
  attackMs: number;
  /** answers read, connections held, after the traffic */
  observeMs: number;
  /** longest wait for the first success after the attack */
  recoveryMs: number;
  maxAttackBytes: number;
  /** multiplier applied to every pattern's counts */
  scale: number;
  restartEach: boolean;
  allowRemote: boolean;
  load: { concurrency: number; connections: number; requestTimeoutMs: number };
  limits: Limits;
  /** cores as taskset writes them ("0", "0-3"); a core number in older results */
  pinned: { targetCpu: string | number | null; loadCpu: string | number | null };
}

export interface PatternOutcome {
  pattern: string;
  verdict: Verdict;
  /** why it failed, crashed, was skipped or errored (empty when it held) */
  reasons: string[];
  params: Record<string, number>;
  answer: Answer | null;
  observation: Observation | null;
  /** per role of the target; null when no process of it is known */
  usage: Record<string, RoleUsage> | null;
  service: Service | null;
  crash: { role: string; detail: string } | null;
  error: string | null;
  /** muxbench restarted the target after this pattern (it crashed or did not serve again) */
  restartedAfter: boolean;
  /** skipped because the baseline found the target not serving (the previous pattern is marked for it) */
  notServingBefore?: true;
  durationMs: number;
}

export interface TargetResult {
  name: string;
  kind: 'reference' | 'url';
  description: string;
  url: string | null;
  roles: string[];
  attackedRole: string | null;
  /** the target (or the load) could not be started */
  startError?: string;
  restarts: number;
  outcomes: PatternOutcome[];
}

export interface PatternRun extends PatternInfo {
  /** defaults, scaled, with the user's settings applied */
  params: Record<string, number>;
}

export interface AttackResults {
  schema: typeof ATTACK_SCHEMA;
  runId: string;
  status: 'running' | 'complete' | 'aborted';
  startedAt: string;
  finishedAt?: string;
  environment: Environment;
  settings: AttackSettings;
  patterns: PatternRun[];
  targets: TargetResult[];
}
