/** Bad scenario files fail before anything starts, naming the file, the field and what was expected. */
import { mkdtempSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startKey } from '../../src/run/targets.ts';
import { expandPoints, loadScenario, parseScenario } from '../../src/scenario/index.ts';
import { runCli } from '../helpers/cli.ts';
import { problems } from '../helpers/scenarios.ts';

const valid = {
  name: 'ok',
  description: 'a valid scenario',
  systems: [
    { id: 'a', kind: 'http-grpc', mode: 'streaming' },
    { id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [10, 0] } },
  ],
  load: { model: 'closed', concurrency: 1 },
  sweep: { concurrency: [1, 5] },
};

describe('scenario validation', () => {
  it('accepts a valid scenario and applies defaults', () => {
    const s = parseScenario(valid, 'x');
    expect(s.trials).toBe(3);
    expect(s.workload).toEqual({ call: 'echo', payloadBytes: 64, delayMs: 0 });
    // 2 concurrency values for the http-grpc system, 2 × 2 for the tunnel (its own streamLimit sweep),
    // the tunnel's own axis outermost: one tunnel per limit serves both concurrencies, warm
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.system.id, p.params])).toEqual([
      ['a', { concurrency: 1 }],
      ['a', { concurrency: 5 }],
      ['t', { streamLimit: 10, concurrency: 1 }],
      ['t', { streamLimit: 10, concurrency: 5 }],
      ['t', { streamLimit: 0, concurrency: 1 }],
      ['t', { streamLimit: 0, concurrency: 5 }],
    ]);
    const keys = points.map((p) => startKey(p.system, p.params));
    expect(new Set(keys).size).toBe(3);
    expect(keys[2]).toBe(keys[3]);
    expect(keys[4]).toBe(keys[5]);
  });

  it('names the file, the field and the expectation for type errors and unknown fields', () => {
    const msg = problems({ ...valid, trials: 'three', systems: [{ id: 'a', kind: 'http-grpc', mode: 'fast', colour: 'red' }] });
    expect(msg).toMatch(/^scenarios\/x\.ts is not a valid scenario/);
    expect(msg).toMatch(/trials: .*expected number/i);
    expect(msg).toMatch(/systems\[0\]\.mode: .*"compat"\|"streaming"|systems\[0\]\.mode: .*compat/);
    expect(msg).toMatch(/systems\[0\].*colour/);
  });

  it('passes the origin protocol of a tunnel to its connector, and names a wrong one', async () => {
    const { startArgs } = await import('../../src/run/targets.ts');
    const s = parseScenario({ ...valid, systems: [{ id: 't', kind: 'h2-tunnel', originProtocol: 'h2c' }] }, 'x');
    expect(startArgs(s.systems[0]!, { concurrency: 1 }).connector).toEqual(expect.arrayContaining(['--origin-protocol', 'h2c']));
    const msg = problems({ ...valid, systems: [{ id: 't', kind: 'grpc-tunnel', originProtocol: 'h3' }] });
    expect(msg).toMatch(/systems\[0\]\.originProtocol: .*http1.*h2c/);
  });

  it('passes the link stack of a grpc tunnel to both its processes, and only when the scenario names one', async () => {
    const { startArgs } = await import('../../src/run/targets.ts');
    const named = parseScenario({ ...valid, systems: [{ id: 't', kind: 'grpc-tunnel', linkStack: 'grpc-js' }] }, 'x');
    const args = startArgs(named.systems[0]!, { concurrency: 1 });
    expect(args.connector).toEqual(expect.arrayContaining(['--link-stack', 'grpc-js']));
    expect(args.edge).toEqual(['--link-stack', 'grpc-js']);
    // unnamed: each process's default (raw), and no option a base tree of `muxbench gate` might not know
    const unnamed = parseScenario({ ...valid, systems: [{ id: 't', kind: 'grpc-tunnel' }] }, 'x');
    expect(JSON.stringify(startArgs(unnamed.systems[0]!, { concurrency: 1 }))).not.toMatch(/link-stack/);
    expect(problems({ ...valid, systems: [{ id: 't', kind: 'grpc-tunnel', linkStack: 'nghttp2' }] })).toMatch(/systems\[0\]\.linkStack: .*raw.*grpc-js/);
  });

  it('refuses an axis that does not apply to a system, and a sweep that does not fit the load model', () => {
    const msg = problems({
      ...valid,
      systems: [{ id: 'a', kind: 'http-grpc', sweep: { streamLimit: [10] } }],
      sweep: { ratePerSec: [100] },
    });
    expect(msg).toMatch(/systems\[0\]\.sweep\.streamLimit: does not apply to systems\[0\] \(kind http-grpc\); it applies to h2-tunnel/);
    expect(msg).toMatch(/sweep\.ratePerSec: sweeping ratePerSec needs load\.model 'open'/);
  });

  it('refuses duplicate ids, impossible workloads and external systems without a target', () => {
    const msg = problems({
      ...valid,
      workload: { call: 'sized' },
      systems: [
        { id: 'a', kind: 'origin', client: 'ws' },
        { id: 'a', kind: 'external', protocol: 'http2', url: 'http://127.0.0.1:1' },
      ],
    });
    expect(msg).toMatch(/systems\[1\]\.id: 'a' is used twice/);
    expect(msg).toMatch(/systems\[0\]: a ws client only has an echo workload/);
    expect(problems({ ...valid, systems: [{ id: 'e', kind: 'external', protocol: 'http2' }] })).toMatch(/systems\[0\]: give exactly one of url or command/);
  });

  it('checks sweep values once, with one message per axis, wherever the axis is swept', () => {
    const msg = problems({
      ...valid,
      systems: [{ id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [-1, 1.5, 0], tunnelConnections: [0] } }],
      sweep: { concurrency: [-1, 0, 2.5, 4], payloadBytes: [-3] },
      quick: { sweep: { concurrency: [0] } },
    });
    expect(msg.split('\n').slice(1)).toEqual([
      '  - systems[0].sweep.streamLimit: -1 is not a whole number ≥ 0',
      '  - systems[0].sweep.streamLimit: 1.5 is not a whole number ≥ 0',
      '  - systems[0].sweep.tunnelConnections: 0 is not a whole number ≥ 1',
      '  - sweep.concurrency: -1 is not a whole number ≥ 1',
      '  - sweep.concurrency: 0 is not a whole number ≥ 1',
      '  - sweep.concurrency: 2.5 is not a whole number ≥ 1',
      '  - sweep.payloadBytes: -3 is not a whole number ≥ 0',
      '  - quick.sweep.concurrency: 0 is not a whole number ≥ 1',
    ]);
    // a load group may be switched off with 0, but not go below it
    const grouped = problems({
      name: 'g',
      description: 'd',
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [
        { id: 'small', load: { model: 'closed', concurrency: 10 } },
        { id: 'bulk', load: { model: 'closed', concurrency: 2 }, sweep: { concurrency: [0, -2, 1.5] } },
      ],
    });
    expect(grouped.split('\n').slice(1)).toEqual([
      '  - groups[1].sweep.concurrency: -2 is not a whole number ≥ 0 (0 leaves the group out)',
      '  - groups[1].sweep.concurrency: 1.5 is not a whole number ≥ 0 (0 leaves the group out)',
    ]);
  });

  it('says a file has no default export, rather than listing the fields it lacks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-scn-'));
    const named = join(dir, 'named.ts');
    writeFileSync(named, `export const scenario = ${JSON.stringify(valid)};\n`);
    await expect(loadScenario(named)).rejects.toThrow(
      new RegExp(`^${named} has no default export \\(it exports scenario\\): a scenario file ends with \`export default`),
    );
    const empty = join(dir, 'empty.ts');
    writeFileSync(empty, `const scenario = ${JSON.stringify(valid)};\n`);
    await expect(loadScenario(empty)).rejects.toThrow(/empty\.ts has no default export: /);
    // a default export that is not a scenario is still checked field by field
    const wrong = join(dir, 'wrong.ts');
    writeFileSync(wrong, `export default { name: 'wrong' };\n`);
    await expect(loadScenario(wrong)).rejects.toThrow(/wrong\.ts is not a valid scenario:\n {2}- description: /);
  });

  it('loads by name, by path, and reports unknown names with the known ones', async () => {
    const { scenario } = await loadScenario('smoke');
    expect(scenario.name).toBe('smoke');
    await expect(loadScenario('no-such-scenario')).rejects.toThrow(/no scenario 'no-such-scenario'.*known: .*smoke/);
  });

  it('fails through the CLI before anything starts: exit 2, message on stderr, no results written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-scn-'));
    const file = join(dir, 'bad.ts');
    writeFileSync(file, `export default ${JSON.stringify({ ...valid, name: 'bad', load: { model: 'closed', concurrency: 0 } })};\n`);
    const r = await runCli(['scenario', file, '--reports-dir', join(dir, 'reports')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/load\.concurrency: .*(>0|positive|greater than 0)/i);
    expect(existsSync(join(dir, 'reports'))).toBe(false);
  });
});
