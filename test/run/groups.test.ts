/**
 * Load groups for real: two loads against one origin (and one http_grpc server, whose groups share a
 * client) in one point, measured over the same windows and reported apart; the results read back and
 * render; a point runs with each h2-tunnel preset. Tiny, short loads: no speed is asserted.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { littlesLaw } from '../../src/report/littles-law.ts';
import { readResults } from '../../src/report/read.ts';
import { renderRunReport } from '../../src/report/run-report.ts';
import { runScenario } from '../../src/run/runner.ts';
import { summaryTable } from '../../src/run/table.ts';
import { stopAll } from '../helpers/cli.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

describe('a point of load groups', () => {
  it('runs two groups together, reports each, and keeps the primary as the point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-groups-'));
    const file = scenarioFile(dir, 'mixed', {
      description: 'small calls with larger downloads',
      systems: [
        { id: 'origin', kind: 'origin' },
        { id: 'hg', kind: 'http-grpc', mode: 'streaming' },
      ],
      groups: [
        { id: 'small', label: 'small calls', workload: { call: 'echo', payloadBytes: 64 }, load: { model: 'closed', concurrency: 8 } },
        { id: 'bulk', workload: { call: 'sized', payloadBytes: 65_536 }, load: { model: 'closed', concurrency: 2 } },
      ],
      warmupMs: 100,
      maxWarmupMs: 1500,
      durationMs: 300,
      trials: 2,
    });
    const { results, resultsPath } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    expect(results.points).toHaveLength(2);
    expect(results.settings.loadModel).toBe('load groups: small calls (closed loop, 8 in flight, echo 64 B); bulk (closed loop, 2 in flight, 64 KiB replies)');
    for (const p of results.points) {
      expect(p.status, p.reason).not.toBe('failed');
      const [small, bulk] = p.groups!;
      expect(p.groups!.map((g) => g.id)).toEqual(['small', 'bulk']);
      expect(small!.description).toBe('closed loop, 8 in flight, echo 64 B');
      expect(bulk!.workload).toEqual({ call: 'sized', payloadBytes: 65_536, delayMs: 0 });
      for (const g of p.groups!) {
        expect(g.trials).toHaveLength(2);
        for (const t of g.trials) {
          expect(t.requests, `${p.systemId} ${g.id}`).toBeGreaterThan(0);
          expect(t.errors).toEqual({});
          expect(t.series!.length).toBeGreaterThan(0);
        }
        expect(g.summary!.requestsPerSec.median).toBeGreaterThan(0);
        expect(g.summary!.p99Us.median).toBeGreaterThan(0);
        expect(g.warmup!.series.length).toBeGreaterThan(0);
      }
      // the point is its primary group; the warm-up was judged for both groups at once
      expect(p.trials).toEqual(small!.trials);
      expect(p.summary).toEqual(small!.summary);
      expect(p.warmup!.steady).toBe(bulk!.warmup!.steady);
      expect(p.warmup!.elapsedMs).toBe(bulk!.warmup!.elapsedMs);
      const worst = ['ok', 'not-steady', 'generator-bound', 'failed'];
      expect(worst.indexOf(p.status)).toBe(Math.max(...p.groups!.map((g) => worst.indexOf(g.status))));
      small!.trials.forEach((t, i) => {
        const b = bulk!.trials[i]!;
        // the same window: opened at one instant, closed at one instant
        expect(b.elapsedMs).toBe(t.elapsedMs);
        // the systems' usage over that window, the same for both, its CPU time per request over both groups' requests
        expect(b.processes).toEqual(t.processes);
        const role = Object.keys(t.processes)[0]!;
        expect(t.processes[role]!.cpu).toBeGreaterThan(0);
      });
      // the bulk group moved its bytes
      expect(bulk!.trials[0]!.bytesInPerSec).toBeGreaterThan(bulk!.trials[0]!.requestsPerSec * 65_536 * 0.99);
    }

    // the terminal's table: the point with its primary, then a row for the other group
    expect(summaryTable(results)).toMatch(/^origin \[small\] .*\n {2}\+ bulk /m);

    // read back from disk, and rendered with a row per group and the groups' p99 side by side
    const back = readResults(resultsPath);
    expect(back.points[0]!.groups!.map((g) => g.id)).toEqual(['small', 'bulk']);
    // Little's law checks the primary group, with the concurrency it ran
    expect(littlesLaw(back).map((c) => [c.index, c.inflight, c.ceiling])).toEqual([
      [0, 8, null],
      [1, 8, null],
    ]);
    const html = renderRunReport(back);
    expect(html).toContain('<section id="load-groups">');
    expect(html).toContain('small calls: p99 · req/s');
    expect(html.match(/<tr [^>]*data-group="/g)).toHaveLength(4);
    expect(html).toMatch(/data-group="bulk">.*closed loop, 2 in flight, 64 KiB replies/);
  });

  it('leaves a group switched off by its sweep out of the point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-groups-'));
    const file = scenarioFile(dir, 'alone-then-mixed', {
      description: 'small calls alone, then with downloads',
      systems: [{ id: 'origin', kind: 'origin' }],
      groups: [
        { id: 'small', load: { model: 'closed', concurrency: 4 } },
        { id: 'bulk', workload: { call: 'sized', payloadBytes: 16_384 }, load: { model: 'closed', concurrency: 1 }, sweep: { concurrency: [0, 1] } },
      ],
      warmupMs: 100,
      maxWarmupMs: 1000,
      durationMs: 300,
      trials: 1,
    });
    const { results } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    expect(results.axes).toEqual(['bulk.concurrency']);
    expect(results.points.map((p) => [p.params, p.groups!.map((g) => g.id)])).toEqual([
      [{ 'bulk.concurrency': 0 }, ['small']],
      [{ 'bulk.concurrency': 1 }, ['small', 'bulk']],
    ]);
    for (const p of results.points) expect(p.status, p.reason).not.toBe('failed');
    // the side-by-side table leaves the absent group's cell empty
    expect(renderRunReport(results)).toMatch(
      /<table class="groups-p99">.*?<tbody>\s*<tr[^>]*>(?:<td[^>]*>[^<]*<\/td>){3}<td class="num">[^–<]+<small>[^<]+<\/small><\/td><td class="num">–<\/td><\/tr>/s,
    );
  });
});

describe('h2-tunnel presets', () => {
  it('runs a point with each preset, and the report shows what the preset meant', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-presets-'));
    const file = scenarioFile(dir, 'presets', {
      description: 'cloudflared as shipped, and with 100 streams',
      systems: [
        { id: 'cloudflared', kind: 'h2-tunnel', preset: 'cloudflared' },
        { id: 'limit-100', kind: 'h2-tunnel', preset: 'limit-100' },
      ],
      workload: { call: 'echo', payloadBytes: 64 },
      load: { model: 'closed', concurrency: 4 },
      warmupMs: 100,
      maxWarmupMs: 1500,
      durationMs: 300,
      trials: 1,
    });
    const { results } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    for (const p of results.points) {
      expect(p.status, p.reason).not.toBe('failed');
      expect(p.trials[0]!.requests).toBeGreaterThan(0);
      expect(p.groups).toBeUndefined();
    }
    const html = renderRunReport(results);
    expect(html).toMatch(
      /preset <code>cloudflared<\/code>: .*streamLimit unlimited \(advertised as 2\^32−1\).*streamWindowBytes 1 MiB.*sessionWindowBytes 1 MiB.*tunnelConnections 4/,
    );
    expect(html).toMatch(/preset <code>limit-100<\/code>: .*streamLimit 100.*tunnelConnections 4/);
  });
});
