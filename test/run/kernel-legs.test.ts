/**
 * Network legs shaped by the kernel (issue 16, part 3; src/run/kernel-legs.ts): the tc commands a leg
 * becomes, which ports pick out each leg, what is refused and why — and a real run through `muxbench
 * scenario`, which enters its own network namespace and shapes its loopback there, leaving the machine's
 * untouched. Bandwidth (htb) runs on any kernel with htb; delay, jitter and loss need netem: where the
 * kernel has it a leg's round trip is measured, where it does not (this machine) the run is refused naming it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResultsFile } from '../../src/measure/results.ts';
import { probeNetem } from '../../src/os/netem.ts';
import { kernelRunProblem, tcCommands } from '../../src/run/kernel-legs.ts';
import { kernelLegsOf } from '../../src/run/targets.ts';
import { parseScenario } from '../../src/scenario/index.ts';
import { runCli, stopAll } from '../helpers/cli.ts';
import { problems, scenarioFile } from '../helpers/scenarios.ts';

afterAll(stopAll);

const LOAD = { model: 'closed', concurrency: 1 } as const;
const system = (spec: Record<string, unknown>) =>
  parseScenario({ name: 't', description: 'd', systems: [{ id: 's', ...spec }], load: LOAD }, 'test').systems[0]!;

describe('kernel legs', () => {
  it('become an htb class each way per leg, netem under it for delay, jitter and loss, u32 filters by port', () => {
    const cmds = tcCommands([{ name: 'tunnel', conditions: { rttMs: 40, jitterMs: 2, mbit: 20, lossPct: 1 }, ports: [4000] }]).map((c) => c.join(' '));
    expect(cmds).toEqual([
      'qdisc add dev lo root handle 1: htb default 1 r2q 100000',
      'class add dev lo parent 1: classid 1:1 htb rate 100gbit',
      'class add dev lo parent 1: classid 1:10 htb rate 20mbit ceil 20mbit',
      'qdisc add dev lo parent 1:10 handle 10: netem delay 20ms 2ms loss 1% limit 100000',
      'filter add dev lo parent 1: protocol ip prio 1 u32 match ip dport 4000 0xffff flowid 1:10',
      'class add dev lo parent 1: classid 1:11 htb rate 20mbit ceil 20mbit',
      'qdisc add dev lo parent 1:11 handle 11: netem delay 20ms 2ms loss 1% limit 100000',
      'filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport 4000 0xffff flowid 1:11',
    ]);
    // bandwidth alone: no netem
    const plain = tcCommands([{ name: 'client', conditions: { rttMs: 0, jitterMs: 0, mbit: 16 }, ports: [1, 2] }]).map((c) => c.join(' '));
    expect(plain.some((c) => c.includes('netem'))).toBe(false);
    expect(plain.filter((c) => c.startsWith('filter'))).toHaveLength(4);
  });

  it("pick out a tunnel's legs by its servers' ports; http_grpc's client and tunnel legs are one, added up", () => {
    const urls = {
      public: 'http://127.0.0.1:2001',
      tcp: 'tcp://127.0.0.1:2002',
      tunnel: 'tcp://127.0.0.1:2003',
      'origin.http': 'http://127.0.0.1:1001',
      'origin.grpc': 'http://127.0.0.1:1002',
    };
    const leg = (rttMs: number, mbit = 0, lossPct?: number) => ({ rttMs, jitterMs: 0, mbit, ...(lossPct ? { lossPct } : {}) });
    expect(kernelLegsOf(system({ kind: 'h2-tunnel' }), urls, { tunnel: leg(50), origin: leg(10), client: leg(5) })).toEqual([
      { name: 'tunnel', conditions: leg(50), ports: [2003] },
      { name: 'origin', conditions: leg(10), ports: [1001, 1002] },
      { name: 'client', conditions: leg(5), ports: [2001, 2002] },
    ]);
    expect(kernelLegsOf(system({ kind: 'http-grpc' }), { http: 'http://127.0.0.1:3000' }, { client: leg(10, 100, 10), tunnel: leg(40, 20, 10) })).toEqual([
      { name: 'client+tunnel', conditions: { rttMs: 50, jitterMs: 0, mbit: 20, lossPct: 19 }, ports: [3000] },
    ]);
  });

  it('are refused outside a namespace of their own, with loss on the relay, and for a server at a URL', () => {
    expect(kernelRunProblem(false, { available: true, detail: '' })).toMatch(/run the scenario with `muxbench scenario`/);
    const base = { name: 'x', description: 'd', load: LOAD };
    expect(problems({ ...base, systems: [{ id: 'h', kind: 'h2-tunnel' }], network: { tunnel: { lossPct: 1 } } })).toMatch(
      /network\.tunnel\.lossPct: packet loss needs network\.mechanism 'kernel'/,
    );
    expect(
      problems({
        ...base,
        systems: [{ id: 'e', kind: 'external', protocol: 'http1', url: 'http://127.0.0.1:8080' }],
        network: { mechanism: 'kernel', client: { mbit: 1 } },
      }),
    ).toMatch(/systems\[0\]\.url: with network\.mechanism 'kernel' the run lives in its own network namespace/);
  });

  it('shape a run in its own namespace: 16 Mbit/s on the client leg carries 2 MB/s, the machine untouched; a round trip only with netem', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-kernel-'));
    const before = execFileSync('tc', ['qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' });
    const file = scenarioFile(dir, 'kernel', {
      description: '256 KiB downloads, one at a time, through 16 Mbit/s on the kernel',
      systems: [{ id: 'origin', kind: 'origin' }],
      workload: { call: 'sized', payloadBytes: 256 * 1024 },
      load: LOAD,
      network: { mechanism: 'kernel', client: { mbit: 16 } },
      warmupMs: 500,
      maxWarmupMs: 3000,
      durationMs: 3000,
      trials: 1,
    });
    const run = await runCli(['scenario', file, '--json', '-q', '--reports-dir', join(dir, 'reports')], 90_000);
    expect(run.code, run.stderr).toBe(0);
    const results = JSON.parse(readFileSync(JSON.parse(run.stdout).results, 'utf8')) as ResultsFile;
    const [p] = results.points;
    expect(p!.network).toEqual({ mechanism: 'kernel', legs: { client: { rttMs: 0, jitterMs: 0, mbit: 16 } } });
    expect(results.environment.network).toEqual({ mechanism: 'kernel', netem: probeNetem() });
    // 16 Mbit/s = 2,000,000 bytes/s on the wire; a body's share of it, less the headers of TCP, IP and HTTP/2
    const perTransfer = (256 * 1024 * 1e6) / p!.summary!.p50Us.median;
    expect(perTransfer, `${Math.round(perTransfer)} B/s per transfer`).toBeGreaterThan(1_700_000);
    expect(perTransfer).toBeLessThan(2_050_000);
    expect(execFileSync('tc', ['qdisc', 'show', 'dev', 'lo'], { encoding: 'utf8' })).toBe(before);

    const far = scenarioFile(dir, 'kernel-far', {
      description: 'one echo at a time, 40 ms away on the kernel',
      systems: [{ id: 'origin', kind: 'origin' }],
      load: LOAD,
      network: { mechanism: 'kernel', client: { rttMs: 40 } },
      warmupMs: 300,
      maxWarmupMs: 2000,
      durationMs: 1500,
      trials: 1,
    });
    const farRun = await runCli(['scenario', far, '--json', '-q', '--reports-dir', join(dir, 'reports')], 90_000);
    if (probeNetem().available) {
      expect(farRun.code, farRun.stderr).toBe(0);
      const farResults = JSON.parse(readFileSync(JSON.parse(farRun.stdout).results, 'utf8')) as ResultsFile;
      const p50 = farResults.points[0]!.summary!.p50Us.median / 1000;
      expect(p50).toBeGreaterThanOrEqual(40);
      expect(p50).toBeLessThan(45);
    } else {
      expect(farRun.code).toBe(2);
      expect(farRun.stderr).toMatch(/a round trip, jitter or loss on kernel legs needs netem, which this kernel lacks/);
    }
  }, 200_000);
});
