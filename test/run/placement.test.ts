/**
 * CPU sets (issue 15, part 1): which cores the systems and the load run on — a scenario's `cpus`, the
 * command line's `--cpus`, else core 0 and core 1 — checked against the machine, pinned with taskset (the
 * kernel's own view of a started process says so) and recorded with the run.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCpusOption } from '../../src/cli/args.ts';
import { allowedCpus, coreCount, CpuSetError, formatCpuSet, parseCpuSet, tasksetAvailable } from '../../src/os/cpus.ts';
import { placement } from '../../src/run/environment.ts';
import { runScenario } from '../../src/run/runner.ts';
import { startSystem } from '../../src/run/supervise.ts';
import { runCli, stopAll } from '../helpers/cli.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

describe('CPU sets', () => {
  it('read and write as taskset does, and refuse what is not a set or not on the machine', () => {
    expect(parseCpuSet('0-3,6', 8)).toEqual([0, 1, 2, 3, 6]);
    expect(parseCpuSet(' 2 , 0-1 ', 8)).toEqual([0, 1, 2]);
    expect(formatCpuSet([6, 0, 1, 2, 3, 3])).toBe('0-3,6');
    expect(() => parseCpuSet('4-2', 8)).toThrow(/'4-2' in the CPU set '4-2' runs backwards/);
    expect(() => parseCpuSet('a', 8)).toThrow(CpuSetError);
    expect(() => parseCpuSet('', 8)).toThrow(/names cores/);
    expect(() => parseCpuSet('0-8', 8)).toThrow(/core 8 in the CPU set '0-8' is not on this machine \(cores 0-7\)/);
  });

  it('--cpus takes systems=SET,load=SET, a set with commas of its own included', () => {
    expect(parseCpusOption('systems=0-3,6,load=7')).toEqual({ systems: '0-3,6', load: '7' });
    expect(parseCpusOption('load=1')).toEqual({ load: '1' });
    expect(() => parseCpusOption('systems=0-3;load=4')).toThrow(/--cpus takes systems=SET,load=SET/);
    expect(() => parseCpusOption('cores=1')).toThrow(/--cpus takes systems=SET,load=SET/);
  });

  it('place the systems and the load where asked, by default on core 0 and core 1', () => {
    const d = placement();
    if (tasksetAvailable() && coreCount() >= 2) expect(d).toEqual({ pinned: true, systemCpu: '0', loadCpu: '1' });
    else expect(d.pinned).toBe(false);
    expect(() => placement({ systems: `0-${coreCount()}` })).toThrow(CpuSetError);
    if (!tasksetAvailable() || coreCount() < 2) return;
    expect(placement({ systems: '1', load: '0' })).toEqual({ pinned: true, systemCpu: '1', loadCpu: '0' });
    expect(placement({ load: `0-${coreCount() - 1}` })).toEqual({ pinned: true, systemCpu: '0', loadCpu: `0-${coreCount() - 1}` });
  });

  it('a process that pinned itself still places others on every core it started with', () => {
    if (!tasksetAvailable() || coreCount() < 2) return;
    const out = execFileSync(process.execPath, ['bin/run-ts.js', 'test/fixtures/pin-then-place.ts'], { encoding: 'utf8' });
    const r = JSON.parse(out) as { pinned: boolean; cores: number; parsed: number[]; workers: string[]; error?: string };
    expect(r.error).toBeUndefined();
    expect(r.pinned).toBe(true);
    expect(r.cores).toBe(coreCount());
    expect(r.workers).toEqual(r.parsed.map(String));
  });

  it('pin a started system to its set, as the kernel sees it', async () => {
    if (!tasksetAvailable() || coreCount() < 2) return;
    const s = await startSystem('origin', ['--port', '0'], { cpu: '1' });
    try {
      expect(allowedCpus(s.pid)).toBe('1');
    } finally {
      await s.stop();
    }
  });

  it("record a scenario's cpus with the run; a core the machine lacks is refused before anything starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-cpus-'));
    const file = scenarioFile(dir, 'cpus', {
      description: 'an origin on core 1, its load on core 0',
      systems: [{ id: 'origin', kind: 'origin' }],
      load: { model: 'closed', concurrency: 4 },
      cpus: { systems: '1', load: '0' },
      warmupMs: 200,
      maxWarmupMs: 1000,
      durationMs: 500,
      trials: 1,
    });
    const { results } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    if (tasksetAvailable() && coreCount() >= 2) {
      expect(results.environment).toMatchObject({ pinned: true, systemCpu: '1', loadCpu: '0' });
      // the command line's --cpus wins over the scenario's
      const over = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet, cpus: { load: '1' } });
      expect(over.results.environment).toMatchObject({ systemCpu: '1', loadCpu: '1' });
    }
    const bad = await runCli(['scenario', file, '--cpus', `systems=0-${coreCount()}`, '--reports-dir', join(dir, 'reports')], 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(new RegExp(`cpus: core ${coreCount()} in the CPU set '0-${coreCount()}' is not on this machine`));
  }, 60_000);
});
