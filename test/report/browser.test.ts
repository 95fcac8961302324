/**
 * Opens generated pages from disk in a real browser (Debian's chromium driven by playwright-core): no
 * console errors, no failed or outside requests, every chart's canvas drawn with its data, links that
 * resolve; at a laptop's 1366 × 768, every chart tall enough to read with its whole legend. Screenshots go to
 * test-artifacts/report-*.png.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChartSpec } from '../../src/report/charts.ts';
import type { GroupResult, SeriesWindow, TrialResult } from '../../src/measure/results.ts';
import { type CpuProfile, summarizeProfile } from '../../src/measure/profile.ts';
import { writeRunReport } from '../../src/report/run-report.ts';
import { startSystem } from '../../src/run/supervise.ts';
import { PROFILE_DIR_ENV } from '../../src/systems/profiler.ts';
import { writeIndex } from '../../src/report/runs-index.ts';
import { compareResults } from '../../src/report/compare.ts';
import { writeComparisonReport } from '../../src/report/compare-report.ts';
import { summarize } from '../../src/run/point.ts';
import { ARTIFACTS, loadFixture, makeReportsDir, variant, writeJson } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const PAGES = join(ARTIFACTS, 'report-pages');

let browser: Browser | undefined;
let indexPath = '';

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Debian's chromium is missing (${CHROMIUM}): install it with 'apt-get install -y chromium' as root (.ci/run does this). The report tests need a real browser and do not download one.`,
    );
  }
  rmSync(PAGES, { recursive: true, force: true });
  mkdirSync(PAGES, { recursive: true });
  indexPath = writeIndex(makeReportsDir(PAGES));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

interface CanvasCheck {
  id: string;
  width: number;
  height: number;
  /** non-transparent pixels */
  drawn: number;
  /** pixels of the first plotted line's colour */
  lineColour: number;
}

/** How a chart was laid out on the page (CSS pixels), for the charts that are shown (not in a closed <details>). */
interface LayoutCheck {
  id: string;
  canvasHeight: number;
  plotHeight: number;
  datasets: number;
  legendItems: number;
  /** legend entries drawn (partly) outside the canvas: clipped */
  legendClipped: string[];
  /** the smallest gap between two labelled y ticks */
  yLabelGap: number;
}

interface Visit {
  problems: string[];
  specs: ChartSpec[];
  canvases: CanvasCheck[];
  charts: { id: string; elements: number }[];
  layout: LayoutCheck[];
  links: string[];
  screenshot: string;
}

/** A laptop screen: the width the report pages must read well at. */
const LAPTOP = { width: 1366, height: 768 };

/**
 * Runs in the page (as text: this project's TypeScript has no DOM types): the chart specs, each canvas's
 * pixels read back, what chart.js plotted, and the links.
 */
const INSPECT = `(() => {
  const island = document.getElementById('muxbench-charts');
  const specs = island ? JSON.parse(island.textContent) : [];
  const byId = new Map(specs.map((s) => [s.id, s]));
  const canvases = [...document.querySelectorAll('canvas')].map((c) => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    const spec = byId.get(c.id);
    const line = (spec && spec.series.find((s) => s.points.some((p) => p.y !== null)) || { color: '#000000' }).color;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(line.slice(i, i + 2), 16));
    let drawn = 0;
    let lineColour = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0) drawn++;
      if (data[i + 3] > 200 && Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 40) lineColour++;
    }
    return { id: c.id, width: c.width, height: c.height, drawn, lineColour };
  });
  const charts = (window.muxbenchCharts || []).map((ch) => ({
    id: ch.canvas.id,
    elements: ch.data.datasets.reduce((n, d, i) => n + ch.getDatasetMeta(i).data.length, 0),
  }));
  const layout = (window.muxbenchCharts || []).filter((ch) => ch.canvas.getBoundingClientRect().width > 0).map((ch) => {
    const box = ch.canvas.getBoundingClientRect();
    const legend = ch.legend;
    const clipped = (legend.legendHitBoxes || [])
      .map((h, i) => ({ h, text: legend.legendItems[i] ? legend.legendItems[i].text : String(i) }))
      .filter(({ h }) => h.top < 0 || h.left < 0 || h.top + h.height > ch.height || h.left + h.width > ch.width)
      .map(({ text }) => text);
    const y = ch.scales.y;
    const ys = y.ticks.map((t, i) => ({ label: t.label, at: y.getPixelForTick(i) })).filter((t) => t.label !== '' && t.label !== undefined).map((t) => t.at).sort((a, b) => a - b);
    let gap = Infinity;
    for (let i = 1; i < ys.length; i++) gap = Math.min(gap, ys[i] - ys[i - 1]);
    return {
      id: ch.canvas.id,
      canvasHeight: box.height,
      plotHeight: ch.chartArea.bottom - ch.chartArea.top,
      datasets: ch.data.datasets.length,
      legendItems: (legend.legendItems || []).length,
      legendClipped: clipped,
      yLabelGap: gap,
    };
  });
  const links = [...document.querySelectorAll('a[href]')].map((a) => a.href);
  return { specs, canvases, charts, layout, links };
})()`;

async function visit(file: string, screenshot: string): Promise<Visit> {
  const page = await browser!.newPage({ viewport: LAPTOP });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('request', (r) => {
    if (!r.url().startsWith('file://')) problems.push(`outside request: ${r.url()}`);
  });
  const shoot = async (): Promise<string> => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const path = join(ARTIFACTS, screenshot);
    await page.screenshot({ path, fullPage: true });
    return path;
  };
  try {
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    await page.waitForFunction('document.querySelectorAll("canvas").length === 0 || window.muxbenchCharts !== undefined', undefined, { timeout: 15_000 });
    const found = (await page.evaluate(INSPECT)) as Omit<Visit, 'problems' | 'screenshot'>;
    return { problems, ...found, screenshot: await shoot() };
  } finally {
    await page.close();
  }
}

function expectChartsDrawn(v: Visit, expected: number): void {
  expect(v.problems).toEqual([]);
  expect(v.specs).toHaveLength(expected);
  expect(v.canvases.map((c) => c.id)).toEqual(v.specs.map((s) => s.id));
  expect(v.charts.map((c) => c.id)).toEqual(v.specs.map((s) => s.id));
  for (const c of v.canvases) {
    expect(c.width, c.id).toBeGreaterThan(300);
    expect(c.drawn, `${c.id}: drawn pixels`).toBeGreaterThan(2000);
    expect(c.lineColour, `${c.id}: pixels of its first line's colour`).toBeGreaterThan(30);
  }
  for (const c of v.charts) expect(c.elements, `${c.id}: plotted points`).toBeGreaterThan(0);
  expectReadableLayout(v);
}

/**
 * Every chart shown is tall enough to read however long its legend: the canvas at least 250 px, the plot
 * in it at least 200 px, every legend entry inside the canvas, y labels apart.
 */
function expectReadableLayout(v: Visit): void {
  expect(v.layout.length).toBeGreaterThan(0);
  for (const c of v.layout) {
    expect(c.canvasHeight, `${c.id}: canvas height`).toBeGreaterThanOrEqual(250);
    expect(c.plotHeight, `${c.id}: plot height`).toBeGreaterThanOrEqual(200);
    expect(c.legendItems, `${c.id}: legend entries`).toBe(c.datasets);
    expect(c.legendClipped, `${c.id}: legend entries outside the canvas`).toEqual([]);
    expect(c.yLabelGap, `${c.id}: closest y labels`).toBeGreaterThanOrEqual(14);
  }
}

describe('pages in a real browser', () => {
  it('draws every chart of a run report, offline, without errors', async () => {
    const v = await visit(join(PAGES, 'report-concurrency', '2026-01-02_03-04-05', 'index.html'), 'report-run.png');
    expectChartsDrawn(v, 8);
  });

  it('draws the stream-limit report (category axis with "unlimited", limit markers, a failed point with data)', async () => {
    const v = await visit(join(PAGES, 'report-stream-limit', '2026-01-02_04-00-00', 'index.html'), 'report-stream-limit.png');
    expectChartsDrawn(v, 14);
  });

  it('draws the comparison page with both runs', async () => {
    const v = await visit(join(PAGES, 'report-concurrency', '2026-01-03_00-00-00', 'compare-2026-01-02_03-04-05.html'), 'report-compare.png');
    expectChartsDrawn(v, 3);
    expect(v.specs[0]!.series.filter((s) => s.dashed)).toHaveLength(2);
  });

  it('lays out a crowded comparison page at laptop width: 14 lines, plots full height, the whole legend shown', async () => {
    // the stream-limit run with three more systems, as the real stream-limit scenario has them: 7 lines a run
    const base = loadFixture('report-stream-limit');
    const http = base.points.filter((p) => p.systemId === 'http-grpc-streaming');
    const more = [
      ['http-grpc-compat', 'http_grpc compat (64/POST)', 0.6],
      ['grpc-tunnel', 'grpc tunnel (no stream limit)', 0.05],
      ['origin-direct', 'origin direct (baseline)', 1.4],
    ] as const;
    for (const [id, label, k] of more) {
      for (const p of http) {
        const copy = structuredClone(p);
        Object.assign(copy, { index: base.points.length, systemId: id, label });
        copy.trials.forEach((t) => {
          t.requestsPerSec *= k;
        });
        copy.summary = summarize(copy.trials);
        base.points.push(copy);
      }
    }
    base.status = 'complete';
    const current = variant(base, { runId: '2026-01-02_05-00-00', startedAt: '2026-01-02T05:00:00.000Z', factor: [0.9, 1.1], latencyFactor: 1.2 });
    const out = writeComparisonReport(base, current, compareResults(base, current), join(PAGES, 'crowded', 'compare.html'));
    const v = await visit(out, 'report-compare-laptop.png');
    const byConcurrency = v.specs.filter((s) => s.axis === 'concurrency');
    expect(byConcurrency[0]!.series).toHaveLength(14);
    expectChartsDrawn(v, v.specs.length);
  });

  it('draws a run of load groups: the groups side by side and their p99 over time', async () => {
    // the concurrency fixture made into points of two groups, each with per-window series
    const r = loadFixture('report-concurrency');
    r.runId = '2026-01-05_00-00-00';
    const withSeries = (t: TrialResult, p99Us: number, startMs: number): TrialResult => ({
      ...t,
      series: Array.from(
        { length: 10 },
        (_, i): SeriesWindow => ({ atMs: startMs + i * 100, ms: 100, ok: 50 + i, errors: 0, dropped: 0, p99Us: p99Us * (1 + (i % 3)) }),
      ),
    });
    for (const p of r.points) {
      const small = p.trials.map((t, k) => withSeries(t, 2000, 5000 + k * 1000));
      // the bulk loop started earlier: its own clock is ahead; the chart puts it on the primary's
      const bulk = p.trials.map((t, k) => withSeries({ ...t, requestsPerSec: 20 }, 90_000, 5300 + k * 1000));
      const group = (id: string, trials: TrialResult[]): GroupResult => ({
        id,
        label: id,
        description: id,
        workload: { call: 'echo', payloadBytes: 64, delayMs: 0 },
        load: { model: 'closed', concurrency: 4 },
        status: 'ok',
        trials,
        summary: p.summary!,
      });
      p.groups = [group('small', small), group('bulk', bulk)];
      p.trials = small;
    }
    const v = await visit(writeRunReport(writeJson(join(PAGES, 'groups', r.runId, 'results.json'), r)), 'report-groups.png');
    const grouped = v.specs.filter((s) => s.id.endsWith('-groups-p99'));
    expect(grouped).toHaveLength(r.points.filter((p) => p.trials.length > 0).length);
    expect(grouped[0]!.series.map((s) => s.label)).toEqual(['small', 'bulk']);
    expect(grouped[0]!.series[1]!.points[0]!.x).toBe(grouped[0]!.series[0]!.points[0]!.x);
    expectChartsDrawn(v, v.specs.length);
  });

  it('draws the flame graphs of a profiled run from a real profile, and links its .cpuprofile', async () => {
    // a real profile: an origin served under the profiler while it answered requests
    const run = join(PAGES, 'profiled', '2026-01-06_00-00-00');
    const profiles = join(run, 'profiles');
    mkdirSync(profiles, { recursive: true });
    const origin = await startSystem('origin', ['--port', '0'], { env: { ...process.env, [PROFILE_DIR_ENV]: profiles } });
    let file = '';
    try {
      await origin.profile();
      for (let i = 0; i < 200; i++) await (await fetch(`${origin.ready.urls.http}/echo`, { method: 'POST', body: 'abc' })).text();
      file = ((await origin.profile()) as { file: string }).file;
    } finally {
      await origin.stop();
    }
    const r = loadFixture('report-concurrency');
    r.runId = '2026-01-06_00-00-00';
    const p = r.points.find((x) => x.trials.length > 0)!;
    const summary = summarizeProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
    p.profile = {
      kind: 'cpu',
      trial: p.trials[0]!,
      overhead: -0.07,
      processes: [
        { role: 'origin', file: join('profiles', basename(file)), summary },
        { role: 'external', file: null, error: 'not a running muxbench serve process' },
      ],
    };
    const page = writeRunReport(writeJson(join(run, 'results.json'), r));
    const v = await visit(page, 'report-profile.png');
    expect(v.problems).toEqual([]);
    expect(v.links.some((l) => l.endsWith('.cpuprofile') && existsSync(fileURLToPath(l)))).toBe(true);
    const tab = await browser!.newPage({ viewport: LAPTOP });
    try {
      await tab.goto(pathToFileURL(page).href);
      const flames = (await tab.evaluate(
        `[...document.querySelectorAll('svg.flame')].map((s) => ({ w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height, rects: s.querySelectorAll('rect').length, wide: [...s.querySelectorAll('rect')].filter((r) => r.getBoundingClientRect().width > 20).length }))`,
      )) as { w: number; h: number; rects: number; wide: number }[];
      expect(flames).toHaveLength(1);
      expect(flames[0]!.w).toBeGreaterThan(600);
      expect(flames[0]!.h).toBeGreaterThan(30);
      expect(flames[0]!.rects).toBeGreaterThan(5);
      expect(flames[0]!.wide).toBeGreaterThan(2);
      await tab.locator('#profiles').screenshot({ path: join(ARTIFACTS, 'report-profile-section.png') });
    } finally {
      await tab.close();
    }
  });

  it('opens the index; every link leads to a file that exists', async () => {
    const v = await visit(indexPath, 'report-index.png');
    expect(v.problems).toEqual([]);
    expect(v.canvases).toEqual([]);
    expect(v.links.length).toBeGreaterThanOrEqual(6);
    for (const href of v.links) {
      expect(href.startsWith('file://'), href).toBe(true);
      expect(existsSync(fileURLToPath(href)), href).toBe(true);
    }
  });
});
