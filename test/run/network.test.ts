/**
 * Network legs in scenarios (issue 16, part 2): which legs a system has at a point, how a relay is asked to
 * shape one, what a scenario may not ask for, and — over real processes — that a call crosses each leg's
 * relay: a lone call's latency is the legs' round trips added up, and the point records them.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { probeNetem } from '../../src/os/netem.ts';
import { relayArgs } from '../../src/run/network.ts';
import { runScenario } from '../../src/run/runner.ts';
import { startKey } from '../../src/run/targets.ts';
import { legsAt } from '../../src/scenario/network.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { stopAll } from '../helpers/cli.ts';
import { leftBehind } from '../helpers/procs.ts';
import { problems, quiet, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

const LOAD = { model: 'closed', concurrency: 1 } as const;

describe('the legs of a point', () => {
  it('has a leg where the scenario names it or sweeps it, 0 ms included, and only where the system has it', () => {
    const network = { mechanism: 'relay' as const, tunnel: { rttMs: 50, jitterMs: 0, mbit: 100 } };
    expect(legsAt(network, { kind: 'h2-tunnel' }, {})).toEqual({ tunnel: { rttMs: 50, jitterMs: 0, mbit: 100 } });
    // the swept value wins over the scenario's; the leg stays at 0 ms (the relay's hop is paid at every point)
    expect(legsAt(network, { kind: 'grpc-tunnel' }, { tunnelRttMs: 0 })).toEqual({ tunnel: { rttMs: 0, jitterMs: 0, mbit: 100 } });
    expect(legsAt(undefined, { kind: 'h2-tunnel' }, { originMbit: 10 })).toEqual({ origin: { rttMs: 0, jitterMs: 0, mbit: 10 } });
    // http_grpc's link is between its client and its server; an origin has neither a tunnel nor an origin leg
    expect(legsAt(network, { kind: 'http-grpc' }, {})).toEqual({ tunnel: { rttMs: 50, jitterMs: 0, mbit: 100 } });
    expect(legsAt(undefined, { kind: 'origin' }, { clientRttMs: 20 })).toEqual({ client: { rttMs: 20, jitterMs: 0, mbit: 0 } });
    expect(legsAt(undefined, { kind: 'origin' }, { concurrency: 8 })).toEqual({});
  });

  it('asks the relay for half the round trip each way, one listener per service the leg carries', () => {
    const args = relayArgs({ rttMs: 50, jitterMs: 1, mbit: 10, bufferBytes: 65536 }, { http: 'http://127.0.0.1:4000', tcp: 'tcp://127.0.0.1:4001' });
    expect(args).toEqual([
      '--port',
      '0',
      '--target',
      'http=127.0.0.1:4000',
      '--target',
      'tcp=127.0.0.1:4001',
      '--delay-ms',
      '25',
      '--jitter-ms',
      '1',
      '--mbit',
      '10',
      '--buffer-bytes',
      '65536',
    ]);
    expect(() => relayArgs({ rttMs: 1, jitterMs: 0, mbit: 0 }, { x: 'tcp://127.0.0.1' })).toThrow(/names no port/);
  });

  it('restarts a system whose legs change (the start key holds them)', () => {
    const s = parseScenario({ name: 't', description: 'd', systems: [{ id: 'h2', kind: 'h2-tunnel' }], load: LOAD }, 'test').systems[0]!;
    const near = startKey(s, {}, { tunnel: { rttMs: 0, jitterMs: 0, mbit: 0 } });
    const far = startKey(s, {}, { tunnel: { rttMs: 50, jitterMs: 0, mbit: 0 } });
    expect(near).not.toBe(far);
    expect(startKey(s, {})).not.toBe(near);
  });

  it('refuses a leg a system does not have, and loss, by name', () => {
    const base = { name: 'x', description: 'd', load: LOAD };
    expect(problems({ ...base, systems: [{ id: 'o', kind: 'origin' }], network: { origin: { rttMs: 10 } } })).toMatch(
      /network\.origin: systems\[0\] \(kind origin\) has no origin leg; it applies to h2-tunnel, grpc-tunnel/,
    );
    expect(problems({ ...base, systems: [{ id: 'o', kind: 'origin', sweep: { tunnelRttMs: [10] } }] })).toMatch(
      /systems\[0\]\.sweep\.tunnelRttMs: does not apply to systems\[0\] \(kind origin\)/,
    );
    expect(problems({ ...base, systems: [{ id: 'h', kind: 'h2-tunnel' }], network: { tunnel: { rttMs: 10, lossPct: 1 } } })).toMatch(
      /network\.tunnel\.lossPct: packet loss needs network\.mechanism 'kernel' \(netem\): a relay cannot lose packets honestly/,
    );
    expect(problems({ ...base, systems: [{ id: 'h', kind: 'h2-tunnel' }], sweep: { tunnelRttMs: [-5] } })).toMatch(
      /sweep\.tunnelRttMs: -5 is not a number ≥ 0/,
    );
  });
});

describe('netem, where the kernel has it', () => {
  it('is probed in a private network namespace: an answer with its reason, the host loopback untouched', () => {
    const before = execFileSync('tc', ['qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' });
    const probe = probeNetem();
    expect(execFileSync('tc', ['qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' })).toBe(before);
    if (probe.available) expect(probe.detail).toMatch(/netem qdisc added on a private loopback/);
    // this machine's kernel: "Error: Specified qdisc kind is unknown."
    else expect(probe.detail).toMatch(/^unshare .+: .+$/);
  });
});

describe('legs over real processes', () => {
  it("adds each leg's round trip to a lone call, records the legs, and leaves no relay running", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-network-'));
    const file = scenarioFile(dir, 'legs', {
      description: 'one call at a time across shaped legs',
      systems: [
        { id: 'h2', kind: 'h2-tunnel', sweep: { tunnelRttMs: [40], originRttMs: [40] } },
        { id: 'grpc', kind: 'grpc-tunnel', sweep: { clientRttMs: [40], tunnelRttMs: [40] } },
        { id: 'hg', kind: 'http-grpc', sweep: { tunnelRttMs: [40] } },
        { id: 'origin', kind: 'origin', sweep: { clientRttMs: [40] } },
      ],
      load: LOAD,
      warmupMs: 300,
      maxWarmupMs: 2000,
      durationMs: 1500,
      trials: 1,
    });
    const { results, resultsPath } = await runScenario({ scenario: file, reportsDir: join(dir, 'reports'), progress: quiet });
    const expected: Record<string, number> = { h2: 80, grpc: 80, hg: 40, origin: 40 };
    for (const p of results.points) {
      expect(p.status, `${p.systemId}: ${p.reason}`).not.toBe('failed');
      const p50 = p.summary!.p50Us.median / 1000;
      const want = expected[p.systemId]!;
      // The legs' round trips, plus the system's own time and the relays' timers: up to ~2 ms per leg and
      // way on a quiet machine (a message written in several pieces is whole only when its last piece's timer
      // fires), 14.5 ms in all for two legs under the whole test suite's load. A leg crossed twice, or not
      // at all, would be 40 ms off.
      const text = `${p.systemId}: p50 ${p50.toFixed(2)} ms, legs add ${want} ms`;
      expect(p50, text).toBeGreaterThanOrEqual(want);
      expect(p50, text).toBeLessThan(want + 30);
    }
    const h2 = results.points.find((p) => p.systemId === 'h2')!;
    expect(h2.network).toEqual({
      mechanism: 'relay',
      legs: { tunnel: { rttMs: 40, jitterMs: 0, mbit: 0 }, origin: { rttMs: 40, jitterMs: 0, mbit: 0 } },
    });
    expect(JSON.parse(readFileSync(resultsPath, 'utf8')).points[0].network).toEqual(h2.network);
    // what the kernel could have done instead, recorded with the run
    expect(results.environment.network).toEqual({ mechanism: 'relay', netem: probeNetem() });
    expect(leftBehind()).toEqual([]);
  }, 120_000);
});
