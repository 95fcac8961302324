/** The summary printed at the end of a run: one row per point, system × swept values. */
import type { PointResult, ResultsFile } from '../measure/results.ts';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

type Row = Pick<PointResult, 'summary' | 'status' | 'reason'>;

function cells(label: string, params: Record<string, number>, axes: readonly string[], r: Row): string[] {
  return [
    label,
    ...axes.map((a) => (params[a] === undefined ? '-' : String(params[a]))),
    r.summary ? fmt(r.summary.requestsPerSec.median) : '-',
    r.summary ? fmt(r.summary.p50Us.median) : '-',
    r.summary ? fmt(r.summary.p99Us.median) : '-',
    r.summary ? (r.summary.errorRate > 0 ? `${fmt(r.summary.errorRate * 100, 2)} %` : '0') : '-',
    r.status === 'ok' || r.status === 'generator-bound' ? r.status : r.status === 'not-steady' ? `not steady: ${(r.reason ?? '').split('\n')[0]}` : `FAILED: ${(r.reason ?? '').split('\n')[0]}`,
  ];
}

/** One row per point (a point of load groups: its primary's figures), then a row for each other group. */
export function summaryTable(results: ResultsFile): string {
  const header = ['system', ...results.axes, 'req/s', 'p50 µs', 'p99 µs', 'errors', 'status'];
  const rows = results.points.flatMap((p) => [
    cells(p.groups && p.groups.length > 1 ? `${p.label} [${p.groups[0]!.id}]` : p.label, p.params, results.axes, p),
    ...(p.groups ?? []).slice(1).map((g) => cells(`  + ${g.id}`, p.params, results.axes, g)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
