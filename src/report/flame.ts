/**
 * The profiles of a run with `--profile`: per profiled point and system process, a flame graph (an inline
 * SVG drawn here, no script, no network; hover a frame for its name, place and time), where the time went
 * by kind, the functions with the most self time, and what profiling cost. Pure: results in, HTML out.
 */
import { FRAME_KINDS, type FlameNode, type FrameKind, type ProfileSummary } from '../measure/profile.ts';
import type { PointResult, ProcessProfile, ResultsFile } from '../measure/results.ts';
import { micros, paramsText, percent, rate, signedPercent } from './format.ts';
import { esc } from './html.ts';

const KIND_COLOURS: Record<FrameKind, string> = {
  own: '#e4572e',
  node: '#f3a712',
  native: '#a8c686',
  deps: '#669bbc',
  gc: '#8e6c8a',
  program: '#b0b0b0',
  idle: '#e0e0e0',
};

const WIDTH = 1200;
const ROW = 17;
/** Frames narrower than this many pixels are not drawn (their time is in their parent's width). */
const MIN_PX = 0.6;

/** A flame graph of `root` as an SVG element: callers at the top, callees below, width ∝ time. */
export function flameSvg(root: FlameNode, label: string): string {
  const rects: string[] = [];
  let depth = 0;
  const scale = root.totalUs > 0 ? WIDTH / root.totalUs : 0;
  const draw = (n: FlameNode, x: number, level: number): void => {
    const w = n.totalUs * scale;
    if (w < MIN_PX) return;
    depth = Math.max(depth, level);
    const y = level * ROW;
    const share = root.totalUs > 0 ? n.totalUs / root.totalUs : 0;
    const title = `${n.name}${n.at ? ` — ${n.at}` : ''}\n${micros(n.totalUs)} (${percent(share)} of the busy time), self ${micros(n.selfUs)} · ${FRAME_KINDS[n.kind]}`;
    const text = w > 40 ? `<text x="${(x + 3).toFixed(1)}" y="${y + 12}">${esc(clipped(n.name, w))}</text>` : '';
    rects.push(
      `<g><title>${esc(title)}</title><rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(0.5, w - 0.5).toFixed(1)}" height="${ROW - 1}" fill="${KIND_COLOURS[n.kind]}"/>${text}</g>`,
    );
    let cx = x;
    for (const c of n.children) {
      draw(c, cx, level + 1);
      cx += c.totalUs * scale;
    }
  };
  draw(root, 0, 0);
  const height = (depth + 1) * ROW;
  return `<svg class="flame" role="img" aria-label="${esc(label)}" viewBox="0 0 ${WIDTH} ${height}" width="100%" preserveAspectRatio="xMinYMin meet" style="max-width:${WIDTH}px">${rects.join('')}</svg>`;
}

/** A frame name cut to what fits in `px` pixels at ~6.5 px per character. */
function clipped(name: string, px: number): string {
  const chars = Math.floor((px - 6) / 6.5);
  return name.length <= chars ? name : `${name.slice(0, Math.max(1, chars - 1))}…`;
}

function kindsLine(s: ProfileSummary): string {
  const order: FrameKind[] = ['own', 'node', 'native', 'deps', 'gc', 'program', 'idle'];
  return order
    .filter((k) => s.kinds[k] > 0)
    .map((k) => `<span class="kind"><i style="background:${KIND_COLOURS[k]}"></i>${esc(FRAME_KINDS[k])} <b>${esc(percent(s.kinds[k]))}</b></span>`)
    .join(' ');
}

function topTable(s: ProfileSummary): string {
  const rows = s.top
    .slice(0, 15)
    .map(
      (f) =>
        `<tr><td><code>${esc(f.name)}</code></td><td><small>${esc(f.at || '(native)')}</small></td><td>${esc(FRAME_KINDS[f.kind])}</td><td class="num">${esc(micros(f.selfUs))}</td><td class="num">${esc(percent(f.share))}</td></tr>`,
    );
  return `<div class="table-wrap"><table class="top-functions"><thead><tr><th>function</th><th>where</th><th>kind</th><th>self time</th><th>share</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function processBlock(p: PointResult, proc: ProcessProfile): string {
  const head = `<h4>${esc(proc.role)}${proc.file ? ` <small><a href="${esc(proc.file)}">${esc(proc.file)}</a> (opens in Chrome DevTools or speedscope)</small>` : ''}</h4>`;
  if (!proc.summary) return `${head}<p class="lead">No profile: ${esc(proc.error ?? 'unknown reason')}.</p>`;
  const s = proc.summary;
  return `${head}
<p class="lead">${s.samples.toLocaleString('en-US')} samples over ${esc(micros(s.durationUs))}: ${kindsLine(s)}</p>
${flameSvg(s.flame, `flame graph of ${p.label} ${proc.role}`)}
<details><summary>Top functions by self time</summary>${topTable(s)}</details>`;
}

function costLine(p: PointResult): string {
  const prof = p.profile!;
  const t = prof.trial;
  if (prof.overhead === null) return `The profiled trial: ${esc(rate(t.requestsPerSec))}.`;
  const against = `${esc(signedPercent(prof.overhead))} against the median of the point's ${p.trials.length} unprofiled trial${p.trials.length === 1 ? '' : 's'}`;
  // It runs last: a point still warming up gets faster meanwhile, which the cost figure then includes.
  const drift = p.status === 'not-steady' ? ' The point had not settled, so warm-up drift is in this figure too.' : '';
  const faster = prof.overhead > 0 ? ' — faster than unprofiled: what changed between the trials outweighs the profiler here' : ' — what profiling cost here';
  return `The profiled trial: ${esc(rate(t.requestsPerSec))}, ${against}${faster} (its figures are not the point's).${drift}`;
}

/** The section; empty when no point was profiled. */
export function profilesSection(results: ResultsFile): string {
  const points = results.points.filter((p) => p.profile);
  if (points.length === 0) return '';
  const costs = points.map((p) => p.profile!.overhead).filter((o): o is number => o !== null);
  const mean = costs.length ? costs.reduce((a, b) => a + b, 0) / costs.length : null;
  return `<section id="profiles">
<h2>Where the time goes: CPU profiles</h2>
<p class="lead">Each point ran one more trial with every system process under V8's sampling profiler (one sample per ms), started just before the trial's window opened and stopped once its requests had answered (the load runs on meanwhile). Flame graphs show the busy time (idle left out): callers on top, width ∝ time; hover a frame for its place and time. Colours: ${(['own', 'node', 'native', 'deps', 'gc', 'program'] as FrameKind[]).map((k) => `<span class="kind"><i style="background:${KIND_COLOURS[k]}"></i>${esc(FRAME_KINDS[k])}</span>`).join(' ')}.${mean === null ? '' : ` Profiling cost ${esc(signedPercent(mean))} requests/s on average over the ${costs.length} profiled point${costs.length === 1 ? '' : 's'}.`}</p>
${points
  .map(
    (
      p,
    ) => `<details class="profile" id="profile-${p.index}" open><summary>${esc(p.label)}${Object.keys(p.params).length ? ` — ${esc(paramsText(p.params, results.axes))}` : ''}</summary>
<p class="lead">${costLine(p)}</p>
${p.profile!.processes.map((proc) => processBlock(p, proc)).join('\n')}
</details>`,
  )
  .join('\n')}
</section>`;
}
