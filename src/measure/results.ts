/**
 * The results file (reports/<scenario>/<run-id>/results.json): plain data, versioned. The runner writes
 * it after every point; the report renderer and `compare` read it. Change the shape only with a new
 * SCHEMA value.
 */
import type { Interval } from './stats.ts';
import type { LatencySummary } from './histogram.ts';
import type { ProfileSummary } from './profile.ts';
import type { SteadyPolicy } from './steady.ts';

/**
 * /2 added the warm-up record, per-window series, send lag, CPU time per request and the 'not-steady'
 * status; every /2 field is optional in the types so that /1 files still read. Load groups (a point's
 * `groups`) came later without a new version: the field is optional, and a point that has it keeps its
 * primary group's figures in the plain fields, so a reader that does not know groups still reads it right.
 */
export const RESULTS_SCHEMA = 'muxbench.results/2';
export const READABLE_SCHEMAS: readonly string[] = ['muxbench.results/1', RESULTS_SCHEMA];

/** One short window of a trial's or a warm-up's time series (requests attributed to the window that sent them). */
export interface SeriesWindow {
  /** start, ms since the load began */
  atMs: number;
  ms: number;
  ok: number;
  errors: number;
  dropped: number;
  /** p99 latency of the window's successful requests, µs (within 6.25 %) */
  p99Us: number | null;
}

/** How late an open loop's sends left against their schedule, µs. */
export interface SendLag {
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** How the point's warm-up ended. */
export interface WarmupRecord {
  /** true: throughput settled; false: the cap came first; null: the engine runs its own loop (fixed warm-up, not judged) */
  steady: boolean | null;
  elapsedMs: number;
  /** (max − min) / mean of the last blocks' rates, and the tolerance it was held to */
  spread: number | null;
  tolerance: number | null;
  series: SeriesWindow[];
}

export interface Environment {
  node: string;
  cpu: string;
  cores: number;
  os: string;
  hostname: string;
  commit: string | null;
  /** whether systems and load were pinned with taskset */
  pinned: boolean;
  /** the cores the systems ran on, as taskset writes them ("0", "0-3"); a core number in older results */
  systemCpu: string | number | null;
  /** the cores the load ran on */
  loadCpu: string | number | null;
  h2load: boolean;
  /**
   * For runs with network legs: what shaped them ('relay', muxbench's; 'kernel', tc in the run's own network
   * namespace) and whether the kernel has netem (src/os/netem.ts), with what answered. Absent otherwise.
   */
  network?: { mechanism: 'relay' | 'kernel'; netem: { available: boolean; detail: string } };
  /** a run merged from load workers on many machines (`muxbench merge`): where each ran, and how late it began */
  loadHosts?: { index: number; hostname: string; node: string; cpu: string; cores: number; os: string; lateMs: number }[];
}

export interface ProcessUsage {
  /** CPU used during the trial, share of one core */
  cpu: number;
  /** CPU time per successful request in the measured window, µs (null when none succeeded) */
  cpuUsPerRequest?: number | null;
  peakRssBytes: number;
  /** event-loop utilisation 0..1 (Node processes only) */
  elu: number | null;
}

export interface TrialResult {
  requests: number;
  requestsPerSec: number;
  bytesInPerSec: number;
  bytesOutPerSec: number;
  errors: Record<string, number>;
  dropped: number;
  abandoned: number;
  elapsedMs: number;
  latency: LatencySummary;
  /** HDR histogram of latency in µs, compressed base64 */
  histogram: string;
  generatorCpu: number;
  /** by role: 'server', 'origin', 'edge', 'connector', … */
  processes: Record<string, ProcessUsage>;
  /** the relays in the point's network legs, by leg: on the systems' core, not counted in their figures */
  relays?: Record<string, ProcessUsage>;
  /** the trial's 100 ms windows */
  series?: SeriesWindow[];
  /** open loop: how late sends left against their schedule */
  sendLag?: SendLag;
  /**
   * The load workers that measured this window together (`loadWorkers` > 1, or `muxbench merge`), each
   * with its share; the trial's own figures are theirs merged (load/merge.ts). Absent: one worker.
   */
  workers?: WorkerShare[];
}

/** One load worker's part of a merged window. */
export interface WorkerShare {
  index: number;
  requests: number;
  requestsPerSec: number;
  /** this worker's CPU over its window, as a share of one core (the trial's generatorCpu is the busiest core's: workers sharing one added up) */
  generatorCpu: number;
  p50Us: number;
  p99Us: number;
  elapsedMs: number;
  /** when its window opened, ms since the epoch (workers on many machines: their skew) */
  openedAt?: number;
  /** the cores it was pinned to (absent: unpinned, or a machine of its own) */
  cpu?: string;
}

export interface Estimate {
  median: number;
  ci: Interval;
}

export interface PointSummary {
  requestsPerSec: Estimate;
  bytesPerSec: Estimate;
  p50Us: Estimate;
  p90Us: Estimate;
  p99Us: Estimate;
  p999Us: Estimate;
  maxUs: Estimate;
  /** errors / (errors + successes), all trials */
  errorRate: number;
  errors: Record<string, number>;
  dropped: number;
  generatorCpu: number;
  /** summed over the system's processes, medians over trials */
  systemCpu: number;
  /** CPU time per request summed over the system's processes, µs, median over trials */
  systemCpuUsPerRequest?: number | null;
  systemPeakRssBytes: number;
  systemElu: number | null;
}

/** One load group of a point (see the scenario's `groups`), measured over the same windows as the others. */
export interface GroupResult {
  id: string;
  label: string;
  /** what it ran at this point, sweep values applied ("closed loop, 200 in flight, 4 MiB replies") */
  description: string;
  workload: { call: string; payloadBytes: number; delayMs: number };
  load: { model: 'closed'; concurrency: number } | { model: 'open'; ratePerSec: number; maxInflight: number };
  status: PointStatus;
  reason?: string;
  /** `steady` is the point's (judged on the primary group); `spread` and `series` are this group's own */
  warmup?: WarmupRecord;
  /**
   * The group's own requests, latency, errors and series per trial. `processes` is the systems' usage over
   * the shared window, the same in every group; its CPU time per request counts every group's requests.
   */
  trials: TrialResult[];
  summary?: PointSummary;
}

/** One system process's CPU profile over a point's profiled trial. */
export interface ProcessProfile {
  role: string;
  /** the .cpuprofile, relative to the run's directory (opens in Chrome DevTools or speedscope) */
  file: string | null;
  /** why there is no profile (an external process, a profiler that did not answer) */
  error?: string;
  summary?: ProfileSummary;
}

/**
 * A point run with `--profile`: one extra trial after the point's own, with every system process under
 * V8's sampling profiler. Its figures are not the point's (profiling costs speed); `overhead` is what it
 * cost: this trial's requests/s against the median of the point's trials, −0.08 = 8 % fewer.
 */
export interface PointProfile {
  kind: 'cpu';
  trial: TrialResult;
  overhead: number | null;
  processes: ProcessProfile[];
}

/** One system process's clinic page (`--profile=clinic`). */
export interface ClinicPage {
  role: string;
  /** clinic's own HTML page, relative to the run's directory */
  html: string | null;
  /** why there is no page (clinic failed to collect or to write it) */
  error?: string;
}

/**
 * A point run with `--profile=clinic`: per clinic tool, the point's system started afresh with every process
 * under that tool, warmed up, measured over one trial and stopped, since clinic samples a process from start
 * to exit. Its figures are not the point's; `overhead` as in PointProfile.
 */
export interface ClinicProfile {
  tool: 'doctor' | 'flame';
  /** the trial measured under the tool; absent when it could not be measured (see `error`) */
  trial?: TrialResult;
  overhead: number | null;
  /** how long the processes lived under the tool, ms: start, warm-up, the trial and shutdown are all in its pages */
  lifeMs?: number;
  /** why the tool's trial did not run or failed */
  error?: string;
  processes: ClinicPage[];
}

/** not-steady: measured, but throughput had not settled when the warm-up cap came — not a plain result */
export type PointStatus = 'ok' | 'failed' | 'generator-bound' | 'not-steady';

/** One leg's conditions as a point ran them. */
export interface NetworkLeg {
  rttMs: number;
  jitterMs: number;
  /** Mbit/s each way, 0 = unlimited */
  mbit: number;
  bufferBytes?: number;
  /** packets lost each way, % (kernel legs only) */
  lossPct?: number;
}

export interface PointResult {
  index: number;
  systemId: string;
  systemKind: string;
  label: string;
  params: Record<string, number>;
  status: PointStatus;
  /** why a point failed, or what made it generator-bound */
  reason?: string;
  /**
   * An h2 tunnel's stream limit at this point, as it ran: advertised per tunnel connection (0 = unlimited,
   * src/h2/stream-limit.ts) over its tunnel connections. Absent for other systems and in older results.
   */
  streamLimit?: { perConnection: number; connections: number };
  /**
   * The network conditions the point ran under, leg by leg (src/scenario/network.ts), and what made them:
   * 'relay', muxbench's shaping relay. Absent: plain loopback.
   */
  network?: { mechanism: 'relay' | 'kernel'; legs: Partial<Record<'client' | 'tunnel' | 'origin', NetworkLeg>> };
  /** the run was stopped (Ctrl-C) during this point: its failure says nothing about the system */
  interrupted?: boolean;
  stderrTail?: string;
  trials: TrialResult[];
  summary?: PointSummary;
  warmup?: WarmupRecord;
  /**
   * A point of load groups: each group's results, primary first. The point's own trials, summary, warm-up
   * are the primary group's; its status is the worst of the groups' (with the group named in the reason).
   */
  groups?: GroupResult[];
  /** with `--profile`: the profiled trial and each system process's profile */
  profile?: PointProfile;
  /** with `--profile=clinic`: per clinic tool, its trial and each system process's page */
  clinic?: ClinicProfile[];
}

/** A value the command line gave a scenario field or sweep axis. */
export type OverrideValue = number | string | boolean;

/**
 * What the command line changed in the scenario file before the run (`muxbench scenario -c 10,100
 * --set streamLimit=0 --system h2-tunnel`). The results' `scenario.definition` is the changed scenario.
 */
export interface ScenarioOverrides {
  /** only these systems ran (`--system`); claims that name another system were left out */
  systems?: string[];
  /**
   * Sweep axes (`concurrency`, `streamLimit`, `bulk.concurrency`) and fields (`durationMs`,
   * `workload.call`, `systems.<id>.<field>`), in the order applied: -c, -d, --trials and --warmup as
   * concurrency, durationMs, trials and warmupMs, then each --set.
   */
  set?: { key: string; values: OverrideValue[] }[];
}

export interface ResultsFile {
  schema: string;
  runId: string;
  scenario: { name: string; description: string; file: string; definition: unknown };
  /** present when the command line changed the scenario (added without a new schema version: optional) */
  overrides?: ScenarioOverrides;
  quick: boolean;
  environment: Environment;
  status: 'running' | 'complete' | 'aborted';
  startedAt: string;
  finishedAt?: string;
  /** the swept axes, in sweep order */
  axes: string[];
  settings: {
    /** the minimum warm-up */
    warmupMs: number;
    durationMs: number;
    trials: number;
    loadModel: string;
    /** how warm-up judged steady state (absent in /1 files: a fixed warm-up) */
    steady?: SteadyPolicy;
    /** load workers per point, when more than one (each trial's `workers`) */
    loadWorkers?: number;
  };
  points: PointResult[];
}
