/**
 * The clinic pages of a run with `--profile=clinic`: per point and tool, the trial measured under it (with
 * its cost against the point's own trials) and a link to clinic's own page for each system process. The
 * pages are clinic's, beside the report in <run>/clinic/; they load their fonts from the network, the
 * report does not. Pure: results in, HTML out.
 */
import type { ClinicProfile, PointResult, ResultsFile } from '../measure/results.ts';
import { paramsText, rate, signedPercent } from './format.ts';
import { esc } from './html.ts';

const WHAT: Record<ClinicProfile['tool'], string> = {
  doctor: 'doctor: CPU, memory, event-loop delay and handles over time, with its diagnosis',
  flame: 'flame: where the CPU time went, from V8 ticks (0x)',
};

function costText(p: PointResult, c: ClinicProfile): string {
  if (!c.trial) return '–';
  const life = c.lifeMs === undefined ? '' : ` · the processes lived ${(c.lifeMs / 1000).toFixed(1)} s under it`;
  if (c.overhead === null) return `${esc(rate(c.trial.requestsPerSec))}${life}`;
  return `${esc(rate(c.trial.requestsPerSec))} (${esc(signedPercent(c.overhead))} against the point's ${p.trials.length} unprofiled trial${p.trials.length === 1 ? '' : 's'})${life}`;
}

function pagesText(c: ClinicProfile): string {
  const pages = c.processes.map((proc) =>
    proc.html ? `<a href="${esc(proc.html)}">${esc(proc.role)}</a>` : `${esc(proc.role)}: no page (${esc(proc.error ?? 'unknown reason')})`,
  );
  const problems = c.error ? [`<span class="badge failed">failed</span> ${esc(c.error)}`] : [];
  return [...pages, ...problems].join(' · ') || '–';
}

/** The section; empty when no point ran under clinic. */
export function clinicSection(results: ResultsFile): string {
  const points = results.points.filter((p) => p.clinic?.length);
  if (points.length === 0) return '';
  const rows = points.flatMap((p) =>
    p.clinic!.map(
      (c) =>
        `<tr><td>${esc(p.label)}${Object.keys(p.params).length ? ` — ${esc(paramsText(p.params, results.axes))}` : ''}</td><td>${esc(WHAT[c.tool])}</td><td>${costText(p, c)}</td><td>${pagesText(c)}</td></tr>`,
    ),
  );
  const costs = (tool: ClinicProfile['tool']): number[] =>
    points.flatMap((p) => p.clinic!.filter((c) => c.tool === tool && c.overhead !== null).map((c) => c.overhead!));
  const mean = (xs: number[]): string => signedPercent(xs.reduce((a, b) => a + b, 0) / xs.length);
  const costLine = (['doctor', 'flame'] as const)
    .map((t) => ({ t, xs: costs(t) }))
    .filter(({ xs }) => xs.length > 0)
    .map(({ t, xs }) => `clinic ${t} ${esc(mean(xs))}`)
    .join(', ');
  return `<section id="clinic">
<h2>Where the time goes: clinic</h2>
<p class="lead">Run with <code>--profile=clinic</code>. clinic samples a process from its start to its exit, so per point and tool the system was started afresh with every process under the tool, warmed up, measured over one trial and stopped: its pages cover start-up, warm-up and shutdown as well as the trial. The trials' figures are not the point's (clinic costs speed)${costLine ? `; requests/s on average against the unprofiled trials: ${costLine}` : ''}. The pages are clinic's own (they fetch a web font; everything else is in the page).</p>
<div class="table-wrap"><table class="clinic"><thead><tr><th>point</th><th>tool</th><th>its trial</th><th>pages per process</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>
</section>`;
}
