/** The summary printed at the end of a run: one row per point, system × swept values. */
import type { ResultsFile } from '../measure/results.ts';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

export function summaryTable(results: ResultsFile): string {
  const header = ['system', ...results.axes, 'req/s', 'p50 µs', 'p99 µs', 'errors', 'status'];
  const rows = results.points.map((p) => [
    p.label,
    ...results.axes.map((a) => (p.params[a] === undefined ? '-' : String(p.params[a]))),
    p.summary ? fmt(p.summary.requestsPerSec.median) : '-',
    p.summary ? fmt(p.summary.p50Us.median) : '-',
    p.summary ? fmt(p.summary.p99Us.median) : '-',
    p.summary ? (p.summary.errorRate > 0 ? `${fmt(p.summary.errorRate * 100, 2)} %` : '0') : '-',
    p.status === 'ok' || p.status === 'generator-bound' ? p.status : p.status === 'not-steady' ? `not steady: ${(p.reason ?? '').split('\n')[0]}` : `FAILED: ${(p.reason ?? '').split('\n')[0]}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
