/**
 * The results file (reports/<scenario>/<run-id>/results.json): plain data, versioned. The runner writes
 * it after every point; the report renderer and `compare` read it. Change the shape only with a new
 * SCHEMA value.
 */
import type { Interval } from './stats.ts';
import type { LatencySummary } from './histogram.ts';

export const RESULTS_SCHEMA = 'muxbench.results/1';

export interface Environment {
  node: string;
  cpu: string;
  cores: number;
  os: string;
  hostname: string;
  commit: string | null;
  /** whether systems and load were pinned to separate cores with taskset */
  pinned: boolean;
  systemCpu: number | null;
  loadCpu: number | null;
  h2load: boolean;
}

export interface ProcessUsage {
  /** CPU used during the trial, share of one core */
  cpu: number;
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
  systemPeakRssBytes: number;
  systemElu: number | null;
}

export type PointStatus = 'ok' | 'failed' | 'generator-bound';

export interface PointResult {
  index: number;
  systemId: string;
  systemKind: string;
  label: string;
  params: Record<string, number>;
  status: PointStatus;
  /** why a point failed, or what made it generator-bound */
  reason?: string;
  stderrTail?: string;
  trials: TrialResult[];
  summary?: PointSummary;
}

export interface ResultsFile {
  schema: typeof RESULTS_SCHEMA;
  runId: string;
  scenario: { name: string; description: string; file: string; definition: unknown };
  quick: boolean;
  environment: Environment;
  status: 'running' | 'complete' | 'aborted';
  startedAt: string;
  finishedAt?: string;
  /** the swept axes, in sweep order */
  axes: string[];
  settings: { warmupMs: number; durationMs: number; trials: number; loadModel: string };
  points: PointResult[];
}
