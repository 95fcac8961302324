/**
 * The load groups of a run's points (scenarios with `groups`): the groups' p99 side by side per point —
 * the figure head-of-line isolation is about — and every group's own figures. Pure: results in, HTML out.
 */
import type { GroupResult, PointResult, ResultsFile } from '../measure/results.ts';
import { axisValue, micros, percent, rate } from './format.ts';
import { badge, esc } from './html.ts';

/** Group ids in the order they first appear (the scenario's order: the primary first). */
function groupIds(points: readonly PointResult[]): { id: string; label: string }[] {
  const seen = new Map<string, string>();
  for (const p of points) for (const g of p.groups ?? []) if (!seen.has(g.id)) seen.set(g.id, g.label);
  return [...seen].map(([id, label]) => ({ id, label }));
}

function pointCells(p: PointResult, axes: readonly string[]): string {
  return [
    `<td class="num">${p.index}</td>`,
    `<td title="${esc(p.systemId)}">${esc(p.label)}</td>`,
    ...axes.map((a) => `<td class="num">${p.params[a] === undefined ? '–' : esc(axisValue(a, p.params[a]!))}</td>`),
  ].join('');
}

function errorsText(g: GroupResult): string {
  const s = g.summary;
  if (!s) return '–';
  const kinds = Object.entries(s.errors).sort((a, b) => b[1] - a[1]);
  if (kinds.length === 0) return '0';
  return `${percent(s.errorRate)} (${kinds.map(([k, n]) => `${k}: ${n.toLocaleString('en-US')}`).join(', ')})`;
}

/** One row per point with groups: each group's p99 (and req/s) in its own column; '–' where the group was off. */
function sideBySide(points: readonly PointResult[], axes: readonly string[]): string {
  const ids = groupIds(points);
  const head = ['#', 'system', ...axes, ...ids.map((g) => `${g.label}: p99 · req/s`)];
  const rows = points.map((p) => {
    const cells = ids.map(({ id }) => {
      const g = p.groups!.find((x) => x.id === id);
      if (!g) return '<td class="num">–</td>';
      const s = g.summary;
      return `<td class="num">${s ? `${esc(micros(s.p99Us.median))} · <small>${esc(rate(s.requestsPerSec.median))}</small>` : '–'}</td>`;
    });
    return `<tr class="${esc(p.status)}">${pointCells(p, axes)}${cells.join('')}</tr>`;
  });
  return `<div class="table-wrap"><table class="groups-p99"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

/** One row per group of every point: what it ran and its own figures (medians over trials). */
function perGroup(points: readonly PointResult[], axes: readonly string[]): string {
  const head = ['#', 'system', ...axes, 'group', 'what it ran', 'req/s', 'p50', 'p99', 'p99.9', 'errors', 'trials', 'status'];
  const rows = points.flatMap((p) =>
    p.groups!.map((g, i) => {
      const s = g.summary;
      const num = (v: string): string => `<td class="num">${esc(v)}</td>`;
      return `<tr class="${esc(g.status)}" data-point="${p.index}" data-group="${esc(g.id)}">${pointCells(p, axes)}<td>${esc(g.label)}${i === 0 ? ' <small>(primary)</small>' : ''}</td><td>${esc(g.description)}</td>${num(s ? rate(s.requestsPerSec.median) : '–')}${num(s ? micros(s.p50Us.median) : '–')}${num(s ? micros(s.p99Us.median) : '–')}${num(s ? micros(s.p999Us.median) : '–')}${num(errorsText(g))}${num(String(g.trials.length))}<td>${g.status === 'ok' ? badge('ok') : `${badge(g.status)}${g.reason ? `<br><small>${esc(g.reason)}</small>` : ''}`}</td></tr>`;
    }),
  );
  return `<div class="table-wrap"><table class="groups"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>`;
}

/** The section; empty when no point ran load groups. */
export function groupsSection(results: ResultsFile): string {
  const points = results.points.filter((p) => p.groups && p.groups.length > 0);
  if (points.length === 0) return '';
  return `<section id="load-groups">
<h2>Load groups</h2>
<p class="lead">Each point ran these loads together against the same target, warmed up together until the primary group had settled, and measured over the same windows. The charts and the table above show the primary group (the first); a point's status is the worst of its groups'. System CPU per request counts every group's requests.</p>
<h3>p99 side by side</h3>
${sideBySide(points, results.axes)}
<h3>Every group</h3>
${perGroup(points, results.axes)}
</section>`;
}
