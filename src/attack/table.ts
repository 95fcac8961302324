/**
 * The attack run as text for the terminal: first the targets side by side (one verdict per pattern and
 * target), then per target one row per pattern with the figures behind the verdict. Pure: results in,
 * text out.
 */
import { bytes, micros, percent } from '../report/format.ts';
import type { AttackResults, PatternOutcome, TargetResult } from './results.ts';

const GRADE_MARK = { expected: '✓', tolerated: '~', unexpected: '✗' } as const;

/** "held ✓", "failed ✗", "crashed", "skipped". */
export function verdictCell(o: PatternOutcome | undefined): string {
  if (o === undefined) return '-';
  return o.answer ? `${o.verdict} ${GRADE_MARK[o.answer.grade]}` : o.verdict;
}

function grid(header: string[], rows: string[][], rightAligned: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function matrixTable(results: AttackResults): string {
  const header = ['pattern', 'CVE', ...results.targets.map((t) => t.name)];
  const rows = results.patterns.map((p) => [p.id, p.cve ?? '-', ...results.targets.map((t) => verdictCell(t.outcomes.find((o) => o.pattern === p.id)))]);
  return grid(header, rows);
}

const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The figures of one outcome, as the detail tables (text and HTML) show them. */
export interface OutcomeFigures {
  cpu: string;
  rss: string;
  goodput: string;
  p99: string;
  servingAgain: string;
  stopped: string;
}

export function outcomeFigures(t: TargetResult, o: PatternOutcome): OutcomeFigures {
  // after a crash the process's figures stop half-way: they would read as "no growth"
  const u = o.usage && t.attackedRole && o.crash === null ? o.usage[t.attackedRole] : undefined;
  const s = o.service;
  const ms = (n: number): string => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n} ms`);
  return {
    cpu: u && u.cpuAttack !== null ? `${percent(u.cpuBaseline ?? 0)} → ${percent(u.cpuAttack)}` : '-',
    rss: u && u.rssGrowthBytes !== null ? `+${bytes(u.rssGrowthBytes)}` : '-',
    goodput: s && s.goodput !== null ? percent(s.goodput) : '-',
    p99: s ? `${s.baseline.latency.count ? micros(s.baseline.latency.p99Us) : '-'} → ${s.attack.latency.count ? micros(s.attack.latency.p99Us) : 'none'}` : '-',
    servingAgain: s ? (s.servingAgainMs === null ? 'never' : ms(s.servingAgainMs)) : '-',
    stopped: s ? (s.stoppedServing ? `yes, ${ms(s.longestGapMs)}` : 'no') : '-',
  };
}

export function targetTable(t: TargetResult): string {
  const header = ['pattern', 'verdict', 'answer', 'CPU', 'RSS', 'goodput', 'p99 before → under attack', 'serving again', 'stopped'];
  const rows = t.outcomes.map((o) => {
    const f = outcomeFigures(t, o);
    const answer = o.answer ? `${GRADE_MARK[o.answer.grade]} ${o.answer.observed.split(' — ')[0]!}` : (o.reasons[0] ?? '');
    return [o.pattern, o.verdict, cut(answer, 60), f.cpu, f.rss, f.goodput, f.p99, f.servingAgain, f.stopped];
  });
  return grid(header, rows, new Set([4, 5]));
}

export function summaryText(results: AttackResults): string {
  const parts = [matrixTable(results), '', `answers: ✓ as RFC 9113 names · ~ permitted, another code or a bare close · ✗ not permitted or missing`];
  for (const t of results.targets) {
    parts.push('', `${t.name} — ${t.description || t.startError || ''}${t.restarts ? ` (restarted ${t.restarts}×)` : ''}`, targetTable(t));
    const problems = t.outcomes.filter((o) => o.verdict !== 'held');
    for (const o of problems) parts.push(`  ${o.pattern}: ${o.verdict}: ${o.reasons.join('; ').split('\n')[0]}`);
  }
  return parts.join('\n');
}
