/**
 * The HTML shell every page shares: escaping, inlined scripts and JSON, the stylesheet, chart sections.
 * Pages are self-contained: no external script, stylesheet, font or image, and a Content-Security-Policy
 * that would block one if it slipped in.
 */
import type { ChartGroup, ChartSpec } from './charts.ts';
import { CLIENT_SCRIPT } from './client.ts';
import { axisValue } from './format.ts';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * Script text that cannot end its <script> element early: `</script` and `<!--` (which switches the HTML
 * parser into a mode where `</script>` no longer ends the element) get a backslash, harmless in JS
 * strings, regular expressions and comments, the only places they can occur in valid code.
 */
export function scriptSafe(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** JSON inside a <script type="application/json">: `<` escaped so no tag can close it; JSON.parse reads it back as is. */
export function jsonScript(id: string, data: unknown): string {
  const json = JSON.stringify(data)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${esc(id)}">${json}</script>`;
}

const CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { --fg: #1d1f23; --muted: #5b6270; --line: #dde1e6; --bg: #fff; --soft: #f5f7f9; --bad: #d62728; --warn: #b26b00; --good: #2e7d32; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); margin: 0; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 0 0 6px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
a { color: #1f5fa8; }
code, pre { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--soft); border: 1px solid var(--line); padding: 10px; overflow: auto; max-height: 480px; }
div.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num { text-align: right; white-space: nowrap; }
td.ci, td .ci { color: var(--muted); white-space: nowrap; font-size: 12px; }
tr.failed td { background: #fdecea; }
tr.generator-bound td, tr.not-steady td { background: #fff6e0; }
.badge { display: inline-block; padding: 1px 7px; border-radius: 9px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.badge.ok, .badge.complete, .badge.faster { background: #e3f3e4; color: var(--good); }
.badge.failed, .badge.aborted, .badge.slower, .badge.unreadable { background: #fdecea; color: var(--bad); }
.badge.generator-bound, .badge.not-steady, .badge.running, .badge.insufficient, .badge.complete-failures { background: #fff1d6; color: var(--warn); }
.badge.same, .badge.no-data { background: var(--soft); color: var(--muted); }
svg.flame { display: block; margin: 6px 0 10px; font: 11px system-ui, sans-serif; }
svg.flame text { fill: #111; pointer-events: none; }
svg.flame rect { stroke: #fff; stroke-width: 0.5; }
span.kind { white-space: nowrap; margin-right: 10px; }
span.kind i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.badge.holds { background: #e3f3e4; color: var(--good); }
.badge.not-hold { background: #fdecea; color: var(--bad); }
.badge.depends { background: #fff1d6; color: var(--warn); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 18px; }
figure.chart { margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
figure.chart .canvas { position: relative; height: 300px; }
figure.chart figcaption { margin-top: 8px; }
ul.verdict { margin: 6px 0 0; padding-left: 18px; }
ul.verdict li { margin: 2px 0; }
.legend-note { color: var(--muted); font-size: 12.5px; margin: 4px 0 12px; }
.marker-failed { color: var(--bad); font-weight: 700; }
.marker-gb { color: var(--warn); font-weight: 700; }
details { margin: 6px 0; }
details summary { cursor: pointer; }
.chart-error { color: var(--bad); }
`;

export interface PageOptions {
  title: string;
  body: string;
  /** chart specs to draw; none → no chart.js on the page */
  charts?: readonly ChartSpec[];
  /** extra JSON islands, e.g. the results file itself */
  data?: Record<string, unknown>;
  chartJs?: string;
}

export function page(o: PageOptions): string {
  const islands = Object.entries(o.data ?? {}).map(([id, d]) => jsonScript(id, d));
  const scripts = o.charts?.length
    ? [jsonScript('muxbench-charts', o.charts), `<script>${scriptSafe(o.chartJs ?? '')}</script>`, `<script>${scriptSafe(CLIENT_SCRIPT)}</script>`]
    : [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<title>${esc(o.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${o.body}
</main>
${[...islands, ...scripts].join('\n')}
</body>
</html>
`;
}

export function badge(kind: string, text = kind): string {
  return `<span class="badge ${esc(kind)}">${esc(text)}</span>`;
}

export function facts(rows: readonly [string, string][]): string {
  return `<dl class="facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

export const MARKER_LEGEND = `<p class="legend-note">Points: ● measured · <span class="marker-gb">△ hollow triangle</span> generator-bound (the load engine was saturated: the figure is its limit, not the system's) · <span class="marker-gb">◇ hollow diamond</span> not steady (throughput had not settled when the warm-up cap came) · <span class="marker-failed">✕ red cross</span> failed (at the bottom of the chart when there is no value). Bars: 95 % bootstrap confidence interval of the median over trials. Dashed vertical lines: a system's stream limit, in its colour and named (only systems that have one). Colours: one per system on the whole page; a system's lines at different settings are shades of it.</p>`;

export function chartFigure(spec: ChartSpec): string {
  const verdict = spec.verdict.length ? `<ul class="verdict">${spec.verdict.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>` : '';
  return `<figure class="chart" id="fig-${esc(spec.id)}" data-metric="${esc(spec.metric)}">
<h3>${esc(spec.title)}</h3>
<div class="canvas"><canvas id="${esc(spec.id)}" role="img" aria-label="${esc(`${spec.title} by ${spec.xTitle}`)}"></canvas></div>
<figcaption>${verdict}</figcaption>
</figure>`;
}

export function chartGroupSection(g: ChartGroup): string {
  const constants = Object.entries(g.constants).map(([k, v]) => `${k} = ${axisValue(k, v)}`);
  const sub = constants.length ? `<p class="lead">Held constant: ${esc(constants.join(', '))}.</p>` : '';
  const notes = g.notes.map((n) => `<p class="lead">${esc(n)}</p>`).join('');
  return `<section class="chart-group" id="${esc(g.id)}">
<h2>${esc(g.title.charAt(0).toUpperCase() + g.title.slice(1))}</h2>
${sub}${notes}
<div class="charts">
${g.charts.map(chartFigure).join('\n')}
</div>
</section>`;
}
