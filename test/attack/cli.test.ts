/**
 * `muxbench attack` as a user runs it (bin/muxbench.js in a child process): bad input refused with exit
 * 2 before anything starts; a small run against node:http2 and nghttpx side by side, with its results,
 * stdout table and HTML page (opened in a real browser); a deliberately fragile server that dies under a
 * SETTINGS flood reported as crashed; every process the run started ended afterwards.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttackResults } from '../../src/attack/results.ts';
import { processAlive } from '../../src/measure/resources.ts';
import { superviseCommand } from '../../src/run/supervise.ts';
import { runCli, stopAll } from '../helpers/cli.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const RUN_TS = join(process.cwd(), 'bin', 'run-ts.js');
const FRAGILE = join(process.cwd(), 'test', 'fixtures', 'fragile-h2.ts');
/** Short phases: the figures are not the point here, the flow and the classification are. */
const QUICK = ['--scale', '0.02', '--warmup-ms', '300', '--baseline-ms', '400', '--recovery-ms', '3000'];
const RUN_TIMEOUT_MS = 50_000;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'muxbench-attack-test-'));
});
afterAll(() => {
  stopAll();
  rmSync(dir, { recursive: true, force: true });
});

function resultsOf(stdout: string): { results: AttackResults; path: string; html: string } {
  const path = /^results: (.+)$/m.exec(stdout)?.[1];
  const html = /^report: {2}(.+)$/m.exec(stdout)?.[1];
  expect(path, stdout).toBeDefined();
  expect(html, stdout).toBeDefined();
  return { results: JSON.parse(readFileSync(path!, 'utf8')) as AttackResults, path: path!, html: html! };
}

describe('bad input: exit 2 with a message that names the problem, nothing attacked', () => {
  it('refuses remote targets, TLS, unknown patterns, parameters and options', async () => {
    // (every other argument error is checked in-process by judging.test.ts; these go through the real command)
    const cases: [string[], RegExp][] = [
      [['attack', 'http://192.0.2.1:8080'], /refusing to attack '192\.0\.2\.1': not a loopback address.*--allow-remote/],
      [['attack', 'https://127.0.0.1:8443'], /TLS is not supported/],
      [['attack', 'node-http2', '--patterns', 'ping-flood,smurf'], /unknown pattern 'smurf'/],
      [['attack', 'node-http2', '--plan', 'no-such-plan'], /no attack plan 'no-such-plan'/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args, 20_000)));
    runs.forEach((r, i) => {
      expect(r.code, cases[i]![0].join(' ')).toBe(2);
      expect(r.stderr, cases[i]![0].join(' ')).toMatch(cases[i]![1]);
      expect(r.stdout).not.toMatch(/results:/);
    });
  }, 40_000);

  it('lists the patterns with their CVE and expected answer, and has help', async () => {
    const [list, help] = await Promise.all([runCli(['attack', '--list']), runCli(['help', 'attack'])]);
    expect(list.code).toBe(0);
    for (const text of [
      'rapid-reset — CVE-2023-44487',
      'ping-flood — CVE-2019-9512',
      'empty-continuation-flood',
      'hpack-bomb',
      'slowloris',
      'expected: GOAWAY COMPRESSION_ERROR',
    ]) {
      expect(list.stdout).toContain(text);
    }
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: muxbench attack <target>...');
    expect(help.stdout).toContain('--allow-remote');
  }, 30_000);
});

describe('a run against node:http2 and nghttpx, side by side', () => {
  let run: { code: number | null; stdout: string; stderr: string };
  let results: AttackResults;
  let html = '';

  beforeAll(async () => {
    run = await runCli(
      // answers are read for a second after the traffic: on a loaded machine a flood takes a while to be answered
      ['attack', 'node-http2', 'nghttpx', '--patterns', 'settings-flood,hpack-long-integer', ...QUICK, '--observe-ms', '1000', '--reports-dir', dir],
      RUN_TIMEOUT_MS,
    );
    ({ results, html } = resultsOf(run.stdout));
  }, RUN_TIMEOUT_MS + 5000);

  it('writes a versioned results file with the environment, every target and every pattern', () => {
    expect(results.schema).toBe('muxbench.attack/1');
    expect(results.status).toBe('complete');
    expect(results.environment.node).toBe(process.version);
    expect(results.patterns.map((p) => p.id)).toEqual(['settings-flood', 'hpack-long-integer']);
    expect(results.patterns.find((p) => p.id === 'settings-flood')!.params).toEqual({ frames: 2000 });
    expect(results.targets.map((t) => [t.name, t.attackedRole])).toEqual([
      ['node-http2', 'server'],
      ['nghttpx', 'nghttpx'],
    ]);
    for (const t of results.targets) expect(t.outcomes.map((o) => o.pattern)).toEqual(results.patterns.map((p) => p.id));
  });

  it('classifies the answers each server really gives', () => {
    const outcome = (t: string, p: string) => results.targets.find((x) => x.name === t)!.outcomes.find((o) => o.pattern === p)!;
    // node's nghttp2 ends a flooded session with GOAWAY INTERNAL_ERROR; nghttpx drops the connection
    expect(outcome('node-http2', 'settings-flood').answer!.grade).toBe('tolerated');
    expect(outcome('nghttpx', 'settings-flood').observation!.closedByTarget).toBe(1);
    for (const t of ['node-http2', 'nghttpx']) {
      expect(outcome(t, 'hpack-long-integer').observation!.goawayCodes).toEqual({ COMPRESSION_ERROR: 1 });
      expect(outcome(t, 'hpack-long-integer').answer!.grade).toBe('expected');
    }
  });

  it('measured the well-behaved load and the target around every pattern, and the exit code follows the verdicts', () => {
    for (const t of results.targets) {
      for (const o of t.outcomes) {
        expect(o.verdict, `${t.name} ${o.pattern}: ${o.reasons.join('; ')}`).not.toMatch(/crashed|skipped|error/);
        expect(o.service!.baseline.ok, `${t.name} ${o.pattern}`).toBeGreaterThan(0);
        expect(o.service!.servingAgainMs, `${t.name} ${o.pattern}`).not.toBeNull();
        expect(o.service!.timeline.ok.length).toBeGreaterThan(0);
        const u = o.usage![t.attackedRole!]!;
        expect(u.cpuAttack).not.toBeNull();
        expect(u.rssBeforeBytes).toBeGreaterThan(0);
        expect(u.peakExact).toBe(true);
      }
    }
    const allHeld = results.targets.every((t) => t.outcomes.every((o) => o.verdict === 'held'));
    expect(run.code).toBe(allHeld ? 0 : 1);
  });

  it('prints the targets side by side, then one table per target', () => {
    expect(run.stdout).toMatch(/^pattern +CVE +node-http2 +nghttpx$/m);
    expect(run.stdout).toMatch(/^hpack-long-integer +- +held ✓ +held ✓$/m);
    expect(run.stdout).toMatch(/^nghttpx — nghttpx/m);
    expect(run.stdout).toMatch(/^pattern +verdict +answer +CPU +RSS +goodput/m);
    expect(run.stderr).toMatch(/^nghttpx +hpack-long-integer +held +GOAWAY COMPRESSION_ERROR/m);
  });

  it('lists the run in reports/index.html, linked to its page', () => {
    const index = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(run.stdout).toContain(`index:   ${join(dir, 'index.html')}`);
    expect(index).toContain('Attack runs (muxbench attack)');
    expect(index).toContain(`href="attack/${results.runId}/index.html"`);
    expect(index).toMatch(/nghttpx <span class="badge [a-z]+">\d\/2 held<\/span>/);
  });

  it('ended every process it started', () => {
    const pids = results.targets.flatMap((t) => t.outcomes.flatMap((o) => Object.values(o.usage ?? {}).flatMap((u) => u.pids)));
    expect(pids.length).toBeGreaterThanOrEqual(3);
    expect(pids.filter(processAlive)).toEqual([]);
  });

  it('renders a self-contained page that opens offline without errors, charts drawn', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Debian's chromium is missing (${CHROMIUM}): apt-get install -y chromium`);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file://')) problems.push(`outside request: ${r.url()}`);
      });
      await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
      await page.waitForFunction('window.muxbenchCharts !== undefined', undefined, { timeout: 15_000 });
      const seen = (await page.evaluate(`(() => ({
        columns: [...document.querySelectorAll('table.matrix thead th')].map((th) => th.textContent),
        rows: document.querySelectorAll('table.matrix tbody tr').length,
        cells: [...document.querySelectorAll('table.matrix td.cell')].map((td) => td.dataset.verdict),
        charts: window.muxbenchCharts.map((c) => ({ id: c.canvas.id, points: c.data.datasets.reduce((n, d, i) => n + c.getDatasetMeta(i).data.length, 0) })),
        drawn: [...document.querySelectorAll('canvas')].map((c) => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }),
      }))()`)) as { columns: string[]; rows: number; cells: string[]; charts: { id: string; points: number }[]; drawn: number[] };
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'attack-report.png'), fullPage: true });
      expect(problems).toEqual([]);
      expect(seen.columns).toEqual(['pattern', 'expected answer', 'node-http2', 'nghttpx']);
      expect(seen.rows).toBe(2);
      expect(seen.cells).toEqual(results.patterns.flatMap((p) => results.targets.map((t) => t.outcomes.find((o) => o.pattern === p.id)!.verdict)));
      expect(seen.charts.map((c) => c.id)).toEqual(['goodput', 'timeline-settings-flood', 'timeline-hpack-long-integer']);
      for (const c of seen.charts) expect(c.points, c.id).toBeGreaterThan(0);
      for (const n of seen.drawn) expect(n).toBeGreaterThan(2000);
    } finally {
      await browser.close();
    }
  }, 40_000);
});

describe('a target that breaks', () => {
  it(
    'that crashes is reported as crashed, and the patterns after it as skipped (it was not started by muxbench)',
    async () => {
      const fragile = await superviseCommand([process.execPath, RUN_TS, FRAGILE]);
      const plan = join(dir, 'fragile-plan.json');
      writeFileSync(
        plan,
        JSON.stringify({
          targets: [`${fragile.ready.urls.http}/`],
          pid: fragile.pid,
          patterns: ['settings-flood', 'ping-flood'],
          scale: 0.01,
          warmupMs: 200,
          baselineMs: 300,
        }),
      );
      const r = await runCli(['attack', '--plan', plan, '--observe-ms', '200', '--recovery-ms', '2000', '--reports-dir', dir], RUN_TIMEOUT_MS);
      expect(await fragile.exited).toBe(3); // the fixture's own exit code: it died of the flood, not of a kill
      expect(r.code).toBe(1);
      const { results } = resultsOf(r.stdout);
      const [flood, ping] = results.targets[0]!.outcomes;
      expect(flood!.verdict).toBe('crashed');
      expect(flood!.reasons[0]).toContain(`process ${fragile.pid} is gone`);
      expect(flood!.answer!.grade).toBe('unexpected'); // dying is no answer, whatever the close looked like
      expect(flood!.answer!.note).toMatch(/^the target crashed/);
      expect(ping!.verdict).toBe('skipped');
      expect(ping!.reasons[0]).toMatch(/the target is gone \(after settings-flood\)/);
      expect(r.stdout).toMatch(/^settings-flood +crashed/m);
    },
    RUN_TIMEOUT_MS + 5000,
  );

  it(
    'that stays up but stops serving fails the pattern, and the next is skipped: the target was not serving before it',
    async () => {
      const fragile = await superviseCommand([process.execPath, RUN_TS, FRAGILE, 'stall']);
      try {
        const r = await runCli(
          [
            'attack',
            `${fragile.ready.urls.http}/`,
            '--pid',
            String(fragile.pid),
            '--patterns',
            'settings-flood,ping-flood',
            '--scale',
            '0.01',
            '--warmup-ms',
            '200',
            '--baseline-ms',
            '300',
            '--observe-ms',
            '2000',
            '--recovery-ms',
            '1000',
            '--request-timeout-ms',
            '500',
            '--reports-dir',
            dir,
          ],
          RUN_TIMEOUT_MS,
        );
        expect(r.code).toBe(1);
        const [flood, ping] = resultsOf(r.stdout).results.targets[0]!.outcomes;
        expect(flood!.verdict).toBe('failed');
        // (the observation window ends as soon as node's GOAWAY or close arrives; 2 s is only its bound)
        expect(flood!.reasons).toContain('not serving again within 1.00 s after the attack');
        expect(flood!.reasons).toContain('the target no longer served when the next pattern began: what this pattern did outlasted its recovery');
        expect(flood!.service!.stoppedServing).toBe(true);
        expect(ping!.verdict).toBe('skipped');
        expect(ping!.notServingBefore).toBe(true);
        expect(ping!.reasons[0]).toMatch(
          /^the target did not serve the well-behaved load before the attack \((timeout ×\d+|\d+ requests still waiting|no request completed in 300 ms)/,
        );
        expect(fragile.child.exitCode).toBeNull();
      } finally {
        await fragile.stop();
      }
    },
    RUN_TIMEOUT_MS + 5000,
  );
});
