/**
 * Systems on many cores (issue 15, part 3): a tunnel's connections spread over several connector processes
 * (`connectorProcesses`), each its own process that the edge serves through — checked with curl, a client
 * nobody here wrote, and with the harness's load — and the systems' processes pinned to the first N cores
 * of their set (`systemCores`), so a sweep over processes and cores runs. Impossible asks are refused
 * before anything starts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allowedCpus, coreCount, CpuSetError, firstCores, tasksetAvailable } from '../../src/os/cpus.ts';
import { runScenario } from '../../src/run/runner.ts';
import { connectorShares, startTunnelStack } from '../../src/run/stacks.ts';
import { killAllSupervised } from '../../src/run/supervise.ts';
import { ScenarioError } from '../../src/scenario/index.ts';
import { leftBehind } from '../helpers/procs.ts';
import { quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(() => killAllSupervised());

describe('systems on many cores', () => {
  it('shares a tunnel’s connections out between its connector processes, each at least one', () => {
    expect(connectorShares(['--max-concurrent-streams', '0', '--connections', '4'], 1)).toEqual([['--max-concurrent-streams', '0', '--connections', '4']]);
    expect(connectorShares(['--connections', '5', '--x', 'y'], 2)).toEqual([
      ['--connections', '3', '--x', 'y'],
      ['--connections', '2', '--x', 'y'],
    ]);
    expect(() => connectorShares(['--connections', '2'], 3)).toThrow(/3 connector processes for 2 tunnel connection\(s\)/);
    expect(firstCores('0-1', 1)).toBe('0');
    expect(firstCores('1', 1)).toBe('1');
    expect(() => firstCores('0', 2)).toThrow(CpuSetError);
  });

  for (const design of ['h2', 'grpc'] as const) {
    it(`${design} tunnel: two connector processes, two connections each, every request served through them`, async () => {
      const stack = await startTunnelStack({ design, connectorArgs: ['--connections', '4'], connectorProcesses: 2 });
      try {
        expect(Object.keys(stack.processes).sort()).toEqual(['connector.0', 'connector.1', 'edge', 'origin']);
        const pids = new Set(Object.values(stack.processes).map((p) => p.pid));
        expect(pids.size).toBe(4);
        // curl through the edge
        for (let i = 0; i < 20; i++) {
          const out = execFileSync('curl', ['-sS', '--max-time', '5', '--data-binary', `hello ${i}`, `${stack.urls.public}/echo`], { encoding: 'utf8' });
          expect(out).toBe(`hello ${i}`);
        }
        // stop the first connector (the one an idle edge picks first): the other process carries the requests
        await stack.processes['connector.0']!.stop();
        const out = execFileSync('curl', ['-sS', '--max-time', '5', '--data-binary', 'still', `${stack.urls.public}/echo`], { encoding: 'utf8' });
        expect(out).toBe('still');
      } finally {
        await stack.stop();
      }
    }, 60_000);
  }

  it('a scenario sweeps connector processes and the systems’ cores; impossible asks are refused first', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-cores-'));
    const pinned = tasksetAvailable() && coreCount() >= 2;
    const body = {
      description: 'an h2 tunnel: 2 connections over 1 or 2 connector processes',
      systems: [{ id: 'h2', kind: 'h2-tunnel', tunnelConnections: 2, streamLimit: 0 }],
      load: { model: 'closed', concurrency: 8 },
      sweep: { connectorProcesses: [1, 2], ...(pinned ? { systemCores: [1] } : {}) },
      ...(pinned ? { cpus: { systems: '0-1', load: '1' } } : {}),
      warmupMs: 200,
      maxWarmupMs: 1500,
      durationMs: 500,
      trials: 1,
    };
    const { results } = await runScenario({ scenario: scenarioFile(dir, 'cores', body), reportsDir: join(dir, 'reports'), progress: quiet });
    expect(results.points.map((p) => p.status)).not.toContain('failed');
    expect(Object.keys(results.points[0]!.trials[0]!.processes).sort()).toEqual(['connector', 'edge', 'origin']);
    expect(Object.keys(results.points[1]!.trials[0]!.processes).sort()).toEqual(['connector.0', 'connector.1', 'edge', 'origin']);
    for (const p of results.points) expect(p.summary!.requestsPerSec.median).toBeGreaterThan(0);
    // both connector processes carried the load (the edge opens each stream on its least busy connection)
    for (const role of ['connector.0', 'connector.1']) expect(results.points[1]!.trials[0]!.processes[role]!.cpu).toBeGreaterThan(0.01);
    const refuse = async (extra: object, message: RegExp) => {
      const file = scenarioFile(dir, 'refused', { ...body, ...extra });
      await expect(runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet })).rejects.toThrow(ScenarioError);
      await expect(runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet })).rejects.toThrow(message);
    };
    await refuse({ sweep: { connectorProcesses: [3] } }, /3 connector processes for 2 tunnel connection\(s\)/);
    await refuse({ sweep: { systemCores: [coreCount() + 1] } }, /systemCores at h2/);
    expect(leftBehind()).toEqual([]);
  }, 120_000);

  it('pins every process of the system to the first N cores of the set', async () => {
    if (!tasksetAvailable() || coreCount() < 2) return;
    const stack = await startTunnelStack({
      design: 'h2',
      connectorArgs: ['--connections', '2'],
      connectorProcesses: 2,
      cpus: { origin: '1', edge: '1', connector: '1' },
    });
    try {
      for (const p of Object.values(stack.processes)) expect(allowedCpus(p.pid)).toBe('1');
    } finally {
      await stack.stop();
    }
  }, 30_000);
});
