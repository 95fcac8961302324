/** The summary `muxbench scenario` prints: latencies in human units, reasons below the table, rows as wide as their figures. */
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/run/point.ts';
import { trialText } from '../../src/run/progress.ts';
import { summaryTable } from '../../src/run/table.ts';
import { loadFixture, syntheticTrial } from '../report/helpers.ts';

describe('summary table', () => {
  it('prints p50/p99 in µs, ms or s, a short status, and each reason wrapped below the table', () => {
    const r = loadFixture('smoke-results');
    const [first, second, third] = r.points;
    first!.trials = [syntheticTrial(12_345.6, 511, { p99Us: 285_951 })];
    first!.summary = summarize(first!.trials);
    first!.status = 'ok';
    const reason = `system 'x' exited (code 3) before it was ready: ${'a very long explanation '.repeat(8)}`;
    Object.assign(second!, { status: 'failed', reason: `${reason}\nsecond line`, summary: undefined });
    Object.assign(third!, { status: 'not-steady', reason: 'throughput had not settled after 20 s of warm-up' });
    const text = summaryTable({ ...r, points: [first!, second!, third!] });
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^system +.* req\/s +p50 +p99 +errors +status$/);
    expect(lines[2]).toMatch(/ 12,346 +511 µs +286 ms +0 +ok$/);
    expect(lines[3]).toMatch(/ - +- +- +- +failed$/);
    expect(lines[4]).toMatch(/ not steady$/);
    // no row is padded to a reason's length
    const rows = lines.slice(0, 5);
    expect(Math.max(...rows.map((l) => l.length))).toBeLessThan(120);
    const below = lines
      .slice(6)
      .join('\n')
      .replace(/\n {4}/g, ' '); // the wrapped lines joined again
    expect(below).toContain(`${second!.label} (`);
    expect(below).toMatch(/, failed: system 'x' exited \(code 3\) before it was ready: a very long/);
    expect(below).not.toContain('second line');
    expect(Math.max(...lines.slice(6).map((l) => l.length))).toBeLessThanOrEqual(100);
    expect(below).toMatch(/, not steady: throughput had not settled after 20 s of warm-up$/);
  });

  it('reads a trial as req/s and p99 in human units', () => {
    expect(trialText(syntheticTrial(8470.2, 1000, { p99Us: 285_951 }))).toBe('8,470 req/s, p99 286 ms');
    expect(trialText({ ...syntheticTrial(10, 400), errors: { timeout: 1200, reset: 3 } })).toBe('10 req/s, p99 800 µs, 1,203 errors');
  });
});
