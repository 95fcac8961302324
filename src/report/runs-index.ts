/**
 * reports/index.html: every run under reports/<scenario>/<run-id>/results.json, newest first, each
 * scenario's latest run compared with its previous one, and the microbenchmark results in reports/bench/.
 * `writeIndex` does the file work (and renders any run page or comparison page that is missing or stale);
 * `renderIndex` is pure.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { AttackResults } from '../attack/results.ts';
import type { ResultsFile } from '../measure/results.ts';
import { compareResults, comparisonSummary } from './compare.ts';
import { writeComparisonReport } from './compare-report.ts';
import { badge, esc, page } from './html.ts';
import { readResults } from './read.ts';
import { type PointCounts, pointCounts, runStatusBadge, writeRunReport } from './run-report.ts';

/** Directories of reports/ that do not hold scenario runs: microbenchmarks, committed baselines, gate and attack runs (listed apart). */
const NOT_RUNS = new Set(['bench', 'baselines', 'gate', 'attack']);

/** One `muxbench attack` run, as the index lists it. */
export interface AttackEntry {
  runDir: string;
  runId: string;
  status: string;
  /** its index.html exists (`muxbench attack` writes it when the run ends) */
  hasPage: boolean;
  startedAt: string | null;
  commit: string | null;
  /** per target: name and how many patterns held of how many */
  targets: { name: string; held: number; patterns: number }[];
  error?: string;
}

/** Every reports/attack/<run-id>/results.json, newest first. */
export function scanAttackRuns(reportsDir: string): AttackEntry[] {
  const out: AttackEntry[] = [];
  for (const runDir of subdirs(join(reportsDir, 'attack'))) {
    const path = join(reportsDir, 'attack', runDir, 'results.json');
    if (!existsSync(path)) continue;
    try {
      const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<AttackResults>;
      if (r.schema !== 'muxbench.attack/1' || !Array.isArray(r.targets)) throw new Error('not a muxbench.attack/1 file');
      out.push({
        runDir,
        runId: r.runId ?? runDir,
        status: r.status ?? 'unknown',
        hasPage: existsSync(join(reportsDir, 'attack', runDir, 'index.html')),
        startedAt: r.startedAt ?? null,
        commit: r.environment?.commit ?? null,
        targets: r.targets.map((t) => ({ name: t.name, held: t.outcomes.filter((o) => o.verdict === 'held').length, patterns: t.outcomes.length })),
      });
    } catch (err) {
      out.push({ runDir, runId: runDir, status: 'unreadable', hasPage: false, startedAt: null, commit: null, targets: [], error: (err as Error).message });
    }
  }
  return out.sort((a, b) => (a.runDir < b.runDir ? 1 : -1));
}

export interface RunEntry {
  /** reports/<dir>/<runDir>/ as found on disk */
  dir: string;
  runDir: string;
  resultsPath: string;
  results?: ResultsFile;
  counts?: PointCounts;
  /** why the file could not be read */
  error?: string;
  /** why the run's page could not be written */
  reportError?: string;
}

export interface ScenarioComparison {
  scenario: string;
  latest: RunEntry;
  previous: RunEntry;
  /** relative to reports/ */
  href?: string;
  summary?: string;
  regressions?: number;
  error?: string;
}

export type Scalar = string | number | boolean | null;

export interface BenchTable {
  /** the JSON field the rows came from ('results', 'throughput', …) */
  title: string;
  columns: string[];
  rows: Record<string, Scalar>[];
}

export interface BenchEntry {
  file: string;
  name: string;
  date: string | null;
  commit: string | null;
  /** top-level scalar settings (durationMs, path, …) */
  settings: Record<string, Scalar>;
  /** one per top-level array of objects; nested values (per-trial lists) are left out */
  tables: BenchTable[];
  error?: string;
}

function subdirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
  } catch {
    return [];
  }
}

/** Every reports/<scenario>/<run-id>/results.json, read or marked unreadable, newest first. */
export function scanRuns(reportsDir: string): RunEntry[] {
  const runs: RunEntry[] = [];
  for (const dir of subdirs(reportsDir)) {
    if (NOT_RUNS.has(dir)) continue;
    for (const runDir of subdirs(join(reportsDir, dir))) {
      const resultsPath = join(reportsDir, dir, runDir, 'results.json');
      if (!existsSync(resultsPath)) continue;
      const entry: RunEntry = { dir, runDir, resultsPath };
      try {
        entry.results = readResults(resultsPath);
        entry.counts = pointCounts(entry.results);
      } catch (err) {
        entry.error = err instanceof Error ? err.message.replace(`${resultsPath}: `, '') : String(err);
      }
      runs.push(entry);
    }
  }
  const when = (r: RunEntry): string => r.results?.startedAt ?? r.runDir;
  return runs.sort((a, b) => (when(a) < when(b) ? 1 : when(a) > when(b) ? -1 : 0));
}

function scalarColumns(rows: readonly Record<string, unknown>[]): string[] {
  const cols: string[] = [];
  for (const r of rows) {
    for (const [k, v] of Object.entries(r)) {
      if (!cols.includes(k) && (v === null || ['string', 'number', 'boolean'].includes(typeof v))) cols.push(k);
    }
  }
  return cols;
}

/** reports/bench/*.json: name, date, commit, settings, and a table per top-level array of objects. */
export function scanBench(reportsDir: string): BenchEntry[] {
  const dir = join(reportsDir, 'bench');
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return files.map((file): BenchEntry => {
    const path = join(dir, file);
    const name = basename(file, '.json');
    try {
      const data = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { environment?: { date?: unknown; commit?: unknown } };
      if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
      const settings: Record<string, Scalar> = {};
      const tables: BenchTable[] = [];
      for (const [key, value] of Object.entries(data)) {
        if (key === 'bench' || key === 'environment') continue;
        if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) settings[key] = value as Scalar;
        else if (Array.isArray(value)) {
          const rows = value.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r));
          if (rows.length === 0) continue;
          const columns = scalarColumns(rows);
          tables.push({ title: key, columns, rows: rows.map((r) => Object.fromEntries(columns.map((c) => [c, (r[c] ?? null) as Scalar]))) });
        }
      }
      const env = data.environment;
      return {
        file,
        name: typeof data.bench === 'string' ? data.bench : name,
        date: typeof env?.date === 'string' ? env.date : statSync(path).mtime.toISOString(),
        commit: typeof env?.commit === 'string' ? env.commit : null,
        settings,
        tables,
      };
    } catch (err) {
      return { file, name, date: null, commit: null, settings: {}, tables: [], error: (err as Error).message };
    }
  });
}

export interface GateEntry {
  runDir: string;
  headline: string;
  exitCode: number | null;
  baseRef: string | null;
  error?: string;
}

/** reports/gate/<run-id>/gate.json: each gate run's decision, newest first. */
export function scanGates(reportsDir: string): GateEntry[] {
  return subdirs(join(reportsDir, 'gate'))
    .reverse()
    .filter((runDir) => existsSync(join(reportsDir, 'gate', runDir, 'gate.json')))
    .map((runDir) => {
      try {
        const g = JSON.parse(readFileSync(join(reportsDir, 'gate', runDir, 'gate.json'), 'utf8')) as {
          decision?: { headline?: unknown; exitCode?: unknown };
          meta?: { baseRef?: unknown };
        };
        return {
          runDir,
          headline: typeof g.decision?.headline === 'string' ? g.decision.headline : 'unknown',
          exitCode: typeof g.decision?.exitCode === 'number' ? g.decision.exitCode : null,
          baseRef: typeof g.meta?.baseRef === 'string' ? g.meta.baseRef : null,
        };
      } catch (err) {
        return { runDir, headline: 'unreadable', exitCode: null, baseRef: null, error: (err as Error).message };
      }
    });
}

function stale(target: string, source: string): boolean {
  try {
    return statSync(target).mtimeMs < statSync(source).mtimeMs;
  } catch {
    return true;
  }
}

function href(...segments: string[]): string {
  return segments.map(encodeURIComponent).join('/');
}

function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function scalarCell(v: Scalar): string {
  if (typeof v === 'number')
    return `<td class="num">${esc(Number.isInteger(v) ? v.toLocaleString('en-US') : Number(v.toPrecision(4)).toLocaleString('en-US'))}</td>`;
  return `<td>${v === null ? '–' : esc(String(v))}</td>`;
}

/** Runs of the other commands, listed apart from scenario runs. */
export interface OtherRuns {
  gates?: readonly GateEntry[];
  attacks?: readonly AttackEntry[];
}

export function renderIndex(
  runs: readonly RunEntry[],
  comparisons: readonly ScenarioComparison[],
  bench: readonly BenchEntry[],
  other: OtherRuns = {},
): string {
  const gates = other.gates ?? [];
  const attacks = other.attacks ?? [];
  const attackRows = attacks.map((a) => {
    const link = a.hasPage ? `<a href="${href('attack', a.runDir, 'index.html')}">${esc(a.runId)}</a>` : esc(a.runId);
    const targets = a.error
      ? esc(a.error)
      : a.targets
          .map((t) => `${esc(t.name)} ${t.held === t.patterns ? badge('ok', `${t.held}/${t.patterns} held`) : badge('failed', `${t.held}/${t.patterns} held`)}`)
          .join(' ');
    return `<tr><td>${link}</td><td>${esc(a.status)}</td><td>${esc(when(a.startedAt))}</td><td>${a.commit ? `<code>${esc(a.commit)}</code>` : '–'}</td><td>${targets}</td></tr>`;
  });
  const runRows = runs.map((r) => {
    const res = r.results;
    if (!res) {
      return `<tr class="failed"><td>${esc(r.dir)}</td><td><code>${esc(r.runDir)}</code></td><td>${badge('unreadable')}</td><td colspan="5">${esc(r.error ?? '')}</td></tr>`;
    }
    const status = runStatusBadge(res);
    const c = r.counts!;
    const link = r.reportError
      ? `${esc(res.runId)} <small>(page not written: ${esc(r.reportError)})</small>`
      : `<a href="${href(r.dir, r.runDir, 'index.html')}">${esc(res.runId)}</a>`;
    return `<tr class="run" data-scenario="${esc(res.scenario.name)}"><td>${esc(res.scenario.name)}</td><td>${link}${res.quick ? ' <small>quick</small>' : ''}</td><td>${status}</td><td>${esc(when(res.startedAt))}</td><td>${res.environment.commit ? `<code>${esc(res.environment.commit)}</code>` : '–'}</td><td class="num">${c.ok}</td><td class="num">${c.failed ? badge('failed', String(c.failed)) : '0'}</td><td class="num">${c.generatorBound ? badge('generator-bound', String(c.generatorBound)) : '0'}</td></tr>`;
  });
  const cmpRows = comparisons.map((c) => {
    const verdict = c.error
      ? `${badge('insufficient', 'not compared')} ${esc(c.error)}`
      : `${c.regressions ? badge('slower', `${c.regressions} regression${c.regressions === 1 ? '' : 's'}`) : badge('faster', 'no regression')} ${esc(c.summary ?? '')}`;
    const link = c.href ? `<a href="${c.href}">comparison</a>` : '';
    return `<tr><td>${esc(c.scenario)}</td><td>${esc(c.previous.runDir)} → ${esc(c.latest.runDir)}</td><td>${verdict}</td><td>${link}</td></tr>`;
  });
  const benchSections = bench.map((b) => {
    if (b.error) return `<h3>${esc(b.name)}</h3><p>${badge('unreadable')} <code>${esc(b.file)}</code>: ${esc(b.error)}</p>`;
    const settings = Object.entries(b.settings);
    const tables = b.tables.map(
      (t) =>
        `${b.tables.length > 1 || t.title !== 'results' ? `<h4>${esc(t.title)}</h4>` : ''}<table class="bench"><thead><tr>${t.columns.map((c) => `<th>${esc(c)}</th>`).join('')}</tr></thead><tbody>${t.rows
          .map((r) => `<tr>${t.columns.map((c) => scalarCell(r[c] ?? null)).join('')}</tr>`)
          .join('')}</tbody></table>`,
    );
    return `<h3>${esc(b.name)} <small>— ${esc(when(b.date))}${b.commit ? `, commit <code>${esc(b.commit)}</code>` : ''}, <a href="${href('bench', b.file)}">${esc(b.file)}</a></small></h3>
${settings.length ? `<p class="lead">${esc(settings.map(([k, v]) => `${k}: ${v}`).join(' · '))}</p>` : ''}${tables.length ? tables.join('\n') : '<p>No result rows.</p>'}`;
  });
  const body = `
<header>
<h1>muxbench reports</h1>
<p class="lead">${runs.length} run${runs.length === 1 ? '' : 's'}${bench.length ? `, ${bench.length} microbenchmark file${bench.length === 1 ? '' : 's'}` : ''}. Newest first.</p>
</header>
<section id="comparisons">
<h2>Latest run against the previous one, per scenario</h2>
${cmpRows.length ? `<table><thead><tr><th>scenario</th><th>runs</th><th>verdict</th><th></th></tr></thead><tbody>${cmpRows.join('\n')}</tbody></table>` : '<p>No scenario has two readable runs yet.</p>'}
</section>
<section id="runs">
<h2>Runs</h2>
${
  runRows.length
    ? `<table><thead><tr><th>scenario</th><th>run</th><th>status</th><th>started</th><th>commit</th><th>ok</th><th>failed</th><th>generator-bound</th></tr></thead><tbody>
${runRows.join('\n')}
</tbody></table>`
    : '<p>No runs yet: <code>npm run scenario -- smoke</code> makes one.</p>'
}
</section>
${
  gates.length
    ? `<section id="gates"><h2>Gate runs (muxbench gate)</h2><table><thead><tr><th>run</th><th>base</th><th>decision</th></tr></thead><tbody>${gates
        .map(
          (g) =>
            `<tr><td><a href="${href('gate', g.runDir, 'index.html')}">${esc(g.runDir)}</a></td><td>${g.baseRef ? `<code>${esc(g.baseRef)}</code>` : '–'}</td><td>${badge(g.exitCode === 0 ? 'faster' : g.exitCode === 1 ? 'slower' : 'insufficient', g.headline)}${g.error ? ` ${esc(g.error)}` : ''}</td></tr>`,
        )
        .join('')}</tbody></table></section>`
    : ''
}
${attackRows.length ? `<section id="attacks"><h2>Attack runs (muxbench attack)</h2><table><thead><tr><th>run</th><th>status</th><th>started</th><th>commit</th><th>targets: patterns held</th></tr></thead><tbody>${attackRows.join('\n')}</tbody></table></section>` : ''}
${bench.length ? `<section id="bench"><h2>Microbenchmarks (reports/bench)</h2>${benchSections.join('\n')}</section>` : ''}`;
  return page({ title: 'muxbench reports', body });
}

/**
 * Writes reportsDir/index.html; on the way, renders each run's index.html when it is missing or older
 * than its results.json, and each scenario's comparison of its latest run with the previous one
 * (compare-<previous-run-id>.html beside the latest run). Returns the index's path.
 */
export function writeIndex(reportsDir: string): string {
  const runs = scanRuns(reportsDir);
  for (const r of runs) {
    if (!r.results) continue;
    const page = join(reportsDir, r.dir, r.runDir, 'index.html');
    if (!stale(page, r.resultsPath)) continue;
    try {
      writeRunReport(r.resultsPath);
    } catch (err) {
      r.reportError = (err as Error).message;
    }
  }
  const byScenario = new Map<string, RunEntry[]>();
  for (const r of runs) {
    if (!r.results) continue;
    const list = byScenario.get(r.results.scenario.name) ?? [];
    list.push(r);
    byScenario.set(r.results.scenario.name, list);
  }
  const comparisons: ScenarioComparison[] = [];
  for (const [scenario, all] of byScenario) {
    // Only finished runs are compared (an interrupted run says nothing about the points it did not reach),
    // and quick runs only with quick runs: one comparison per kind.
    for (const quick of [false, true]) {
      const [latest, previous] = all.filter((r) => r.results!.status === 'complete' && r.results!.quick === quick);
      if (!latest || !previous) continue;
      const entry: ScenarioComparison = { scenario: quick ? `${scenario} (quick)` : scenario, latest, previous };
      try {
        const c = compareResults(previous.results!, latest.results!);
        const file = `compare-${previous.runDir}.html`;
        writeComparisonReport(previous.results!, latest.results!, c, join(reportsDir, latest.dir, latest.runDir, file));
        entry.href = href(latest.dir, latest.runDir, file);
        entry.summary = comparisonSummary(c);
        entry.regressions = c.regressions.length;
      } catch (err) {
        entry.error = (err as Error).message;
      }
      comparisons.push(entry);
    }
  }
  const out = join(reportsDir, 'index.html');
  writeFileSync(out, renderIndex(runs, comparisons, scanBench(reportsDir), { gates: scanGates(reportsDir), attacks: scanAttackRuns(reportsDir) }));
  return out;
}
