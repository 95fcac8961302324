/**
 * The summary printed at the end of a run: one row per point, system × swept values, latencies in the
 * report's units; why a point failed (or is flagged) goes below the table, so one long reason does not
 * widen every row.
 */
import type { PointResult, ResultsFile } from '../measure/results.ts';
import { micros, paramsText } from '../report/format.ts';

const fmt = (n: number, digits = 0): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-');

type Row = Pick<PointResult, 'summary' | 'status' | 'reason'>;

/** Width the reasons below the table are wrapped to. */
const REASON_COLUMNS = 100;

function statusCell(r: Row): string {
  return r.status === 'not-steady' ? 'not steady' : r.status;
}

function cells(label: string, params: Record<string, number>, axes: readonly string[], r: Row): string[] {
  return [
    label,
    ...axes.map((a) => (params[a] === undefined ? '-' : String(params[a]))),
    r.summary ? fmt(r.summary.requestsPerSec.median) : '-',
    r.summary ? micros(r.summary.p50Us.median) : '-',
    r.summary ? micros(r.summary.p99Us.median) : '-',
    r.summary ? (r.summary.errorRate > 0 ? `${fmt(r.summary.errorRate * 100, 2)} %` : '0') : '-',
    statusCell(r),
  ];
}

/** One row per point (a point of load groups: its primary's figures), then a row for each other group. */
export function summaryTable(results: ResultsFile): string {
  const header = ['system', ...results.axes, 'req/s', 'p50', 'p99', 'errors', 'status'];
  const rows = results.points.flatMap((p) => [
    cells(p.groups && p.groups.length > 1 ? `${p.label} [${p.groups[0]!.id}]` : p.label, p.params, results.axes, p),
    ...(p.groups ?? []).slice(1).map((g) => cells(`  + ${g.id}`, p.params, results.axes, g)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const table = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
  const reasons = pointReasons(results);
  return reasons ? `${table}\n\n${reasons}` : table;
}

/** Why each point that is not plainly ok is what it is, one wrapped paragraph per point (empty when none). */
export function pointReasons(results: ResultsFile): string {
  const out: string[] = [];
  for (const p of results.points) {
    if (p.reason === undefined || p.status === 'ok') continue;
    const params = paramsText(p.params, results.axes);
    const head = `${p.label}${params ? ` (${params})` : ''}, ${statusCell(p)}: `;
    out.push(wrap(head + p.reason.split('\n')[0]!.trim(), REASON_COLUMNS, '    '));
  }
  return out.join('\n');
}

/** Words into lines of at most `columns` characters (longer words stand alone), later lines indented. */
function wrap(text: string, columns: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    const next = line ? `${line} ${word}` : word;
    if (line && next.length > columns) {
      lines.push(line);
      line = `${indent}${word}`;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}
