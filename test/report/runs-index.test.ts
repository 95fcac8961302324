import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanBench, scanRuns, writeIndex } from '../../src/report/runs-index.ts';
import { loadFixture, makeReportsDir, tempDir, variant, writeJson } from './helpers.ts';

describe('reports index', () => {
  const dir = makeReportsDir();
  const out = writeIndex(dir);
  const html = readFileSync(out, 'utf8');

  it('lists every run newest first with relative links, status, date, commit and point counts', () => {
    expect(out).toBe(join(dir, 'index.html'));
    const order = [...html.matchAll(/<tr class="run" data-scenario="([^"]+)"><td>[^<]*<\/td><td><a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => [
      m[1],
      m[2],
      m[3],
    ]);
    expect(order).toEqual([
      ['report-concurrency', 'report-concurrency/2026-01-03_00-00-00/index.html', '2026-01-03_00-00-00'],
      ['report-stream-limit', 'report-stream-limit/2026-01-02_04-00-00/index.html', '2026-01-02_04-00-00'],
      ['report-concurrency', 'report-concurrency/2026-01-02_03-04-05/index.html', '2026-01-02_03-04-05'],
    ]);
    // every link points at a page that exists: writeIndex rendered the missing run pages
    for (const [, href] of order) expect(existsSync(join(dir, href!))).toBe(true);
    expect(html).toMatch(
      /2026-01-02_03-04-05<\/a><\/td><td><span class="badge complete-failures">complete, 1 of 6 points failed<\/span><\/td><td>2026-01-02 03:04 UTC<\/td><td><code>abc1234<\/code><\/td><td class="num">4<\/td><td class="num"><span class="badge failed">1<\/span><\/td><td class="num"><span class="badge generator-bound">1<\/span><\/td>/,
    );
    expect(html).toContain('<span class="badge aborted">aborted (interrupted): 12 points measured, 1 of 12 points failed</span>');
  });

  it('lists a file that does not parse as unreadable instead of failing', () => {
    expect(html).toMatch(
      /<tr class="failed"><td>broken<\/td><td><code>run-x<\/code><\/td><td><span class="badge unreadable">unreadable<\/span><\/td><td colspan="5">not valid JSON/,
    );
    expect(scanRuns(dir).filter((r) => r.error)).toHaveLength(1);
  });

  it("compares each scenario's latest run with its previous one and links the comparison page", () => {
    const page = 'report-concurrency/2026-01-03_00-00-00/compare-2026-01-02_03-04-05.html';
    expect(existsSync(join(dir, page))).toBe(true);
    expect(html).toContain(`<a href="${page}">comparison</a>`);
    expect(html).toContain('<span class="badge slower">4 regressions</span> 0 faster, 5 slower, 10 no significant change, 3 insufficient data');
    expect(html).not.toMatch(/<td>report-stream-limit<\/td><td>[^<]*→/);
  });

  it('shows the microbenchmark files with name, date and a table of their numbers', () => {
    expect(html).toContain('<h3>codec <small>— 2026-01-04 05:06 UTC, commit <code>def5678</code>');
    expect(html).toContain('<td>varint encode ×8</td><td class="num">6,854,759</td><td class="num">158</td>');
    expect(html).toContain('<h4>throughput</h4>');
    expect(html).toContain('<td>h2 tunnel, limit 100</td><td class="num">100</td><td class="num">3,202</td>');
    expect(html).toMatch(/<h3>cut<\/h3><p><span class="badge unreadable">unreadable<\/span> <code>cut\.json<\/code>/);
    expect(scanBench(dir).map((b) => b.name)).toEqual(['codec', 'cut', 'tunnel']);
  });

  it('re-renders a run page only when it is older than its results', () => {
    const runPage = join(dir, 'report-stream-limit', '2026-01-02_04-00-00', 'index.html');
    writeFileSync(runPage, 'kept');
    writeIndex(dir);
    expect(readFileSync(runPage, 'utf8')).toBe('kept');
  });

  it('writes an index for an empty reports directory', () => {
    const empty = tempDir('empty');
    expect(readFileSync(writeIndex(empty), 'utf8')).toContain('No runs yet');
  });
});

describe('reports index: which runs are compared', () => {
  it('never compares an interrupted run, nor a quick run with a full one; lists gate runs', () => {
    const dir = tempDir('index-latest');
    const base = loadFixture('report-concurrency');
    writeJson(join(dir, 'report-concurrency', base.runId, 'results.json'), base);
    const later = variant(base, { runId: '2026-01-03_00-00-00', startedAt: '2026-01-03T00:00:00.000Z', factor: 0.98 });
    writeJson(join(dir, 'report-concurrency', later.runId, 'results.json'), later);
    // newest: stopped by Ctrl-C part-way, its last point failed as "interrupted"
    const cut = variant(base, { runId: '2026-01-04_00-00-00', startedAt: '2026-01-04T00:00:00.000Z', factor: 0.5 });
    cut.status = 'aborted';
    cut.points[3]!.status = 'failed';
    cut.points[3]!.interrupted = true;
    writeJson(join(dir, 'report-concurrency', cut.runId, 'results.json'), cut);
    // a quick run in between, not compared with full runs
    const quick = { ...variant(base, { runId: '2026-01-03_12-00-00', startedAt: '2026-01-03T12:00:00.000Z', factor: 0.6 }), quick: true };
    writeJson(join(dir, 'report-concurrency', quick.runId, 'results.json'), quick);
    writeJson(join(dir, 'gate', '2026-01-05_00-00-00', 'gate.json'), {
      schema: 'muxbench.gate/1',
      decision: { exitCode: 1, headline: 'REGRESSION: 2 significant regressions' },
      meta: { baseRef: 'origin/main' },
    });
    const page = readFileSync(writeIndex(dir), 'utf8');
    expect(page, page.slice(page.indexOf('id="comparisons"'), page.indexOf('id="runs"'))).toContain('2026-01-02_03-04-05 → 2026-01-03_00-00-00');
    expect(page).not.toContain('→ 2026-01-04_00-00-00');
    expect(page).not.toContain('→ 2026-01-03_12-00-00');
    expect(page).toContain('no regression');
    expect(page).toMatch(
      /<a href="gate\/2026-01-05_00-00-00\/index.html">2026-01-05_00-00-00<\/a><\/td><td><code>origin\/main<\/code><\/td><td><span class="badge slower">REGRESSION: 2 significant regressions<\/span>/,
    );
  });
});
