/**
 * `--profile=clinic`: per point, the system started afresh with every process under clinic doctor, then
 * clinic flame (real @clinic packages, real processes), one trial measured under each, clinic's own pages
 * written per process and linked from the report; no collector, system or scratch directory left behind.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { descendantPids } from '../../src/measure/resources.ts';
import { renderRunReport } from '../../src/report/run-report.ts';
import { clinicMissing } from '../../src/run/clinic.ts';
import { runScenario } from '../../src/run/runner.ts';
import { killAllSupervised, startSystem } from '../../src/run/supervise.ts';
import { stopAll } from '../helpers/cli.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

describe('muxbench scenario --profile=clinic', () => {
  it('kills what a launcher runs with the launcher (Ctrl-C during a clinic trial leaves no system behind)', async () => {
    // a launcher like clinic's collectors: the system is its child, stdout passed through
    const launched = await startSystem('origin', ['--port', '0'], { wrap: (_system, argv) => ['sh', '-c', '"$@" & wait', 'sh', ...argv] });
    const system = launched.pid;
    expect(system).not.toBe(launched.child.pid);
    expect(readFileSync(`/proc/${system}/cmdline`, 'utf8')).toContain('serve\0origin');
    const res = await fetch(`${launched.ready.urls.http}/echo`, { method: 'POST', body: 'hi' });
    expect(await res.text()).toBe('hi');
    killAllSupervised();
    await launched.exited;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && existsSync(`/proc/${system}/stat`) && !readFileSync(`/proc/${system}/stat`, 'utf8').includes(') Z'))
      await new Promise((r) => setTimeout(r, 50));
    expect(!existsSync(`/proc/${system}/stat`) || readFileSync(`/proc/${system}/stat`, 'utf8').includes(') Z'), 'the system the launcher ran is gone').toBe(
      true,
    );
  });

  it('finds the clinic packages (optional dependencies that npm ci installs)', () => {
    expect(clinicMissing()).toBeNull();
  });

  // The tunnel's three processes include the origin: one system covers both that the issue names.
  it("runs the h2 tunnel's processes (origin, edge, connector) under clinic doctor and flame, with a page per process linked from the report", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-clinic-'));
    const file = scenarioFile(dir, 'under-clinic', {
      description: 'an h2 tunnel under clinic',
      systems: [{ id: 'tunnel', kind: 'h2-tunnel' }],
      workload: { call: 'echo', payloadBytes: 64 },
      load: { model: 'closed', concurrency: 10 },
      warmupMs: 300,
      maxWarmupMs: 1000,
      durationMs: 500,
      trials: 1,
    });
    const { results, resultsPath } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet, profile: 'clinic' });
    const runDir = dirname(resultsPath);
    for (const p of results.points) {
      expect(p.status, `${p.systemId}: ${p.reason}`).not.toBe('failed');
      expect(p.clinic!.map((c) => c.tool)).toEqual(['doctor', 'flame']);
      for (const c of p.clinic!) {
        const where = `${p.systemId} under clinic ${c.tool}`;
        expect(c.error, where).toBeUndefined();
        expect(c.trial!.requestsPerSec, where).toBeGreaterThan(0);
        expect(c.overhead, where).toBeCloseTo(c.trial!.requestsPerSec / p.trials[0]!.requestsPerSec - 1, 2);
        expect(c.lifeMs, where).toBeGreaterThan(500);
        expect(c.processes.map((x) => x.role).sort(), where).toEqual(['connector', 'edge', 'origin']);
        for (const proc of c.processes) {
          expect(proc.error, `${where}, ${proc.role}`).toBeUndefined();
          const page = readFileSync(join(runDir, proc.html!), 'utf8');
          // clinic's own page, with its data inlined
          expect(page, `${where}, ${proc.role}`).toMatch(c.tool === 'doctor' ? /Clinic Doctor/i : /Clinic Flame/i);
          expect(page.length).toBeGreaterThan(100_000);
        }
      }
    }
    // only the pages are kept: the collectors' scratch directories (raw samples, trace logs) are gone
    expect(readdirSync(join(runDir, 'clinic')).every((f) => f.endsWith('.html'))).toBe(true);
    // every collector and every system it ran has ended
    expect(
      descendantPids(process.pid).filter(
        (pid) => existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('clinic-collect'),
      ),
    ).toEqual([]);
    const html = renderRunReport(results);
    expect(html).toContain('id="clinic"');
    expect(html).toContain('Run under clinic');
    for (const p of results.points) for (const c of p.clinic!) for (const proc of c.processes) expect(html).toContain(`href="${proc.html}"`);
    expect(html).toMatch(/requests\/s on average against the unprofiled trials: clinic doctor [−+][\d.]+ %, clinic flame [−+][\d.]+ %/);
  }, 240_000);
});
