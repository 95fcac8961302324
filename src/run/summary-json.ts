/**
 * `muxbench scenario --json`: what a script needs from a run, on stdout — where its files are, whether it
 * finished, and each point's headline figures (medians over its trials). Everything else is in results.json.
 */
import type { GroupResult, OverrideValue, PointResult, ResultsFile } from '../measure/results.ts';

export const SUMMARY_SCHEMA = 'muxbench.summary/1';

interface Figures {
  status: PointResult['status'];
  reason?: string;
  /** medians over the trials; null where nothing was measured */
  requestsPerSec: number | null;
  p50Us: number | null;
  p99Us: number | null;
  /** failed requests over every trial */
  errors: number;
  errorRate: number | null;
}

export interface PointSummaryLine extends Figures {
  index: number;
  system: string;
  label: string;
  params: Record<string, number>;
  /** a point of load groups: each group's figures, primary first (the point's own are the primary's) */
  groups?: (Figures & { id: string })[];
}

export interface RunSummary {
  schema: typeof SUMMARY_SCHEMA;
  scenario: string;
  runId: string;
  /** complete, or aborted (stopped by a signal: the points so far) */
  status: ResultsFile['status'];
  /** the command's exit status: 0 every point measured, 1 some point failed, 130/143 stopped by SIGINT/SIGTERM */
  exitCode: number;
  quick: boolean;
  results: string;
  report: string | null;
  overrides?: { systems?: string[]; set?: { key: string; values: OverrideValue[] }[] };
  points: PointSummaryLine[];
}

function figures(r: Pick<PointResult | GroupResult, 'status' | 'reason' | 'summary'>): Figures {
  const s = r.summary;
  return {
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    requestsPerSec: s ? s.requestsPerSec.median : null,
    p50Us: s ? s.p50Us.median : null,
    p99Us: s ? s.p99Us.median : null,
    errors: s ? Object.values(s.errors).reduce((a, b) => a + b, 0) : 0,
    errorRate: s ? s.errorRate : null,
  };
}

export function runSummary(results: ResultsFile, files: { results: string; report: string | null }, exitCode: number): RunSummary {
  return {
    schema: SUMMARY_SCHEMA,
    scenario: results.scenario.name,
    runId: results.runId,
    status: results.status,
    exitCode,
    quick: results.quick,
    results: files.results,
    report: files.report,
    ...(results.overrides ? { overrides: results.overrides } : {}),
    points: results.points.map((p) => ({
      index: p.index,
      system: p.systemId,
      label: p.label,
      params: p.params,
      ...figures(p),
      ...(p.groups ? { groups: p.groups.map((g) => ({ id: g.id, ...figures(g) })) } : {}),
    })),
  };
}
