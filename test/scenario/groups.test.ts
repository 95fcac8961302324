/**
 * Load groups and h2-tunnel presets in scenario files: what validates, what is refused (naming the field),
 * how groups' own sweeps become points, and what a preset expands to.
 */
import { describe, expect, it } from 'vitest';
import type { PointResult, ResultsFile } from '../../src/measure/results.ts';
import { streamLimitOf } from '../../src/report/stream-limit.ts';
import { startArgs, startKey } from '../../src/run/targets.ts';
import { describeLoad, expandPoints, loadScenario, loadsAt, parseScenario, sweptAxes } from '../../src/scenario/index.ts';
import { problems } from '../helpers/scenarios.ts';

const mixed = {
  name: 'mixed',
  description: 'small calls with bulk transfers',
  systems: [
    { id: 'o', kind: 'origin' },
    { id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [10, 0] } },
  ],
  groups: [
    { id: 'small', workload: { call: 'echo', payloadBytes: 64 }, load: { model: 'closed', concurrency: 200 } },
    {
      id: 'bulk',
      label: 'big bodies',
      workload: { call: 'sized', payloadBytes: 1 << 20 },
      load: { model: 'closed', concurrency: 4 },
      sweep: { concurrency: [0, 4] },
    },
  ],
};

describe('load groups in a scenario', () => {
  it('accepts groups with defaults applied, and leaves a scenario without groups as it was', () => {
    const s = parseScenario({ ...mixed, groups: [{ id: 'only', load: { model: 'open', ratePerSec: 100 } }] }, 'x');
    expect(s.groups![0]).toEqual({
      id: 'only',
      workload: { call: 'echo', payloadBytes: 64, delayMs: 0 },
      load: { model: 'open', ratePerSec: 100, maxInflight: 10_000 },
    });
    expect(s.workload).toBeUndefined();
    expect(s.load).toBeUndefined();
    const single = parseScenario({ ...mixed, groups: undefined, load: { model: 'closed', concurrency: 3 } }, 'x');
    expect(single.groups).toBeUndefined();
    expect(Object.keys(single).slice(0, 5)).toEqual(['name', 'description', 'systems', 'workload', 'load']);
    expect(single.workload).toEqual({ call: 'echo', payloadBytes: 64, delayMs: 0 });
  });

  it('expands a group sweep into points keyed <group>.<axis>, system axes outermost, and leaves a group at 0 out', () => {
    const s = parseScenario(mixed, 'x');
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.system.id, p.params])).toEqual([
      ['o', { 'bulk.concurrency': 0 }],
      ['o', { 'bulk.concurrency': 4 }],
      ['t', { streamLimit: 10, 'bulk.concurrency': 0 }],
      ['t', { streamLimit: 10, 'bulk.concurrency': 4 }],
      ['t', { streamLimit: 0, 'bulk.concurrency': 0 }],
      ['t', { streamLimit: 0, 'bulk.concurrency': 4 }],
    ]);
    expect(sweptAxes(points)).toEqual(['bulk.concurrency', 'streamLimit']);
    // a group's sweep changes only the load: one tunnel per stream limit serves both mixes, warm
    expect(startKey(points[2]!.system, points[2]!.params)).toBe(startKey(points[3]!.system, points[3]!.params));
    expect(loadsAt(s, points[0]!.params).map((l) => l.id)).toEqual(['small']);
    const both = loadsAt(s, points[1]!.params);
    expect(both.map((l) => [l.id, l.label, l.load])).toEqual([
      ['small', 'small', { model: 'closed', concurrency: 200 }],
      ['bulk', 'big bodies', { model: 'closed', concurrency: 4 }],
    ]);
    expect(describeLoad(both[1]!)).toBe('closed loop, 4 in flight, 1 MiB replies');
  });

  it('refuses groups next to workload or load, and a scenario with neither', () => {
    const both = problems({ ...mixed, load: { model: 'closed', concurrency: 1 }, workload: { call: 'echo' } });
    expect(both).toMatch(/- load: not with groups: give either workload and load, or groups/);
    expect(both).toMatch(/- workload: not with groups/);
    expect(problems({ ...mixed, groups: undefined })).toMatch(/load: required .* unless the scenario gives groups/);
    expect(problems({ ...mixed, groups: [] })).toMatch(/groups: give at least one group/);
  });

  it('names the group field for duplicate ids, bad ids, bad sweeps and workloads a client cannot run', () => {
    const msg = problems({
      ...mixed,
      systems: [{ id: 'w', kind: 'origin', client: 'ws' }],
      groups: [
        { id: 'small', load: { model: 'closed', concurrency: 10 }, sweep: { concurrency: [0, 10], ratePerSec: [5] } },
        { id: 'small', workload: { call: 'sized', payloadBytes: 100 }, load: { model: 'open', ratePerSec: 10 }, sweep: { delayMs: [1] } },
        { id: 'a.b', load: { model: 'closed', concurrency: 1 } },
      ],
    });
    expect(msg).toMatch(/groups\[2\]\.id: .*no dot/);
    // the id problem stops zod before the semantic checks: check those on a scenario with good ids
    const semantic = problems({
      ...mixed,
      systems: [{ id: 'w', kind: 'origin', client: 'ws' }],
      groups: [
        { id: 'small', load: { model: 'closed', concurrency: 10 }, sweep: { concurrency: [0, 10], ratePerSec: [5] } },
        { id: 'small', workload: { call: 'sized', payloadBytes: 100 }, load: { model: 'open', ratePerSec: 10 }, sweep: { delayMs: [1] } },
      ],
    });
    expect(semantic).toMatch(/groups\[1\]\.id: 'small' is used twice/);
    expect(semantic).toMatch(/groups\[0\]\.sweep\.concurrency: 0 would leave out the primary group/);
    expect(semantic).toMatch(/groups\[0\]\.sweep\.ratePerSec: sweeping ratePerSec needs groups\[0\]\.load\.model 'open'/);
    expect(semantic).toMatch(/groups\[1\]\.sweep\.delayMs: sweeping delayMs needs groups\[1\]\.workload\.call 'sleep'/);
    expect(semantic).toMatch(/systems\[0\]: a ws client only has an echo workload, but groups\[1\]\.workload\.call is 'sized'/);
  });

  it('refuses a load axis in the scenario sweep, maxRequests, and engines that run their own loop', () => {
    const msg = problems({
      ...mixed,
      systems: [{ id: 'o', kind: 'origin', client: 'http1', engine: 'autocannon' }],
      sweep: { concurrency: [1, 2] },
      maxRequests: 100,
    });
    expect(msg).toMatch(/sweep\.concurrency: with groups, what the load does is swept by its group \(groups\[i\]\.sweep\.concurrency\)/);
    expect(msg).toMatch(/maxRequests: cannot be used with groups/);
    expect(msg).toMatch(/systems\[0\]\.engine: autocannon runs whole trials on its own and cannot share a point with other load groups/);
  });

  it('varies a secondary group slower than the primary, so every point without it comes first; QUICK runs take quick.groups', () => {
    const swept = {
      ...mixed,
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [{ ...mixed.groups[0], sweep: { concurrency: [10, 100] } }, mixed.groups[1]],
      quick: { groups: { small: { concurrency: [20] } } },
    };
    const s = parseScenario(swept, 'x');
    expect(expandPoints(s, false).map((p) => p.params)).toEqual([
      { 'small.concurrency': 10, 'bulk.concurrency': 0 },
      { 'small.concurrency': 100, 'bulk.concurrency': 0 },
      { 'small.concurrency': 10, 'bulk.concurrency': 4 },
      { 'small.concurrency': 100, 'bulk.concurrency': 4 },
    ]);
    expect(sweptAxes(expandPoints(s, false))).toEqual(['small.concurrency', 'bulk.concurrency']);
    expect(expandPoints(s, true).map((p) => p.params)).toEqual([
      { 'small.concurrency': 20, 'bulk.concurrency': 0 },
      { 'small.concurrency': 20, 'bulk.concurrency': 4 },
    ]);
    const msg = problems({ ...swept, quick: { groups: { nope: { concurrency: [1] }, small: { concurrency: [0] } } } });
    expect(msg).toMatch(/quick\.groups\.nope: no group has this id \(small, bulk\)/);
    expect(msg).toMatch(/quick\.groups\.small\.concurrency: 0 would leave out the primary group/);
    expect(problems({ ...mixed, groups: undefined, load: { model: 'closed', concurrency: 1 }, quick: { groups: {} } })).toMatch(
      /quick\.groups: the scenario has no groups/,
    );
  });

  it("lets a system sweep the groups' axes over its own values, in full and QUICK runs", () => {
    const s = parseScenario(
      {
        ...mixed,
        systems: [
          { id: 'o', kind: 'origin' },
          { id: 'slow', kind: 'origin', groups: { small: { concurrency: [5] } } },
        ],
        groups: [{ ...mixed.groups[0], sweep: { concurrency: [10, 100] } }, mixed.groups[1]],
        quick: { groups: { small: { concurrency: [20] } } },
      },
      'x',
    );
    for (const quick of [false, true]) {
      expect(
        expandPoints(s, quick)
          .filter((p) => p.system.id === 'slow')
          .map((p) => p.params),
      ).toEqual([
        { 'small.concurrency': 5, 'bulk.concurrency': 0 },
        { 'small.concurrency': 5, 'bulk.concurrency': 4 },
      ]);
    }
    expect(expandPoints(s, false).filter((p) => p.system.id === 'o')).toHaveLength(4);
    const msg = problems({ ...mixed, systems: [{ id: 'o', kind: 'origin', groups: { nope: { concurrency: [1] }, small: { concurrency: [0] } } }] });
    expect(msg).toMatch(/systems\[0\]\.groups\.nope: no group has this id/);
    expect(msg).toMatch(/systems\[0\]\.groups\.small\.concurrency: 0 would leave out the primary group/);
  });

  it('loads scenarios/seed-claims.ts: its claims name its systems, and the quick variant is smaller', async () => {
    const { scenario } = await loadScenario('seed-claims');
    expect(scenario.claims!.map((c) => c.kind)).toEqual(expect.arrayContaining(['stream-limit', 'comparable', 'memory', 'isolation', 'batching']));
    // 3 concurrencies × with and without the bulk downloads; 2 for the two designs bound at 1,000 calls/s
    expect(expandPoints(scenario, false)).toHaveLength(3 * 3 * 2 + 2 * 2 * 2);
    expect(expandPoints(scenario, true)).toHaveLength(scenario.systems.length * 2 * 2);
  });

  it('loads scenarios/isolation.ts: both mixes for every system', async () => {
    const { scenario } = await loadScenario('isolation');
    const points = expandPoints(scenario, true);
    expect(points).toHaveLength(scenario.systems.length * 2);
    expect(new Set(points.map((p) => p.params['bulk.concurrency']))).toEqual(new Set([0, 4]));
  });
});

describe('h2-tunnel presets', () => {
  const withSystem = (system: object) =>
    parseScenario({ name: 'p', description: 'presets', systems: [system], load: { model: 'closed', concurrency: 1 } }, 'x');

  it("expands 'cloudflared' and 'limit-100' to concrete knobs, in the definition and on the connector's command line", () => {
    const cf = withSystem({ id: 'cf', kind: 'h2-tunnel', preset: 'cloudflared' }).systems[0]!;
    expect(cf).toMatchObject({ preset: 'cloudflared', streamLimit: 0, tunnelConnections: 4, streamWindowBytes: 1024 * 1024, sessionWindowBytes: 1024 * 1024 });
    expect(startArgs(cf, {}).connector).toEqual([
      '--max-concurrent-streams',
      '0',
      '--connections',
      '4',
      '--stream-window',
      '1048576',
      '--session-window',
      '1048576',
    ]);
    const l100 = withSystem({ id: 'l', kind: 'h2-tunnel', preset: 'limit-100' }).systems[0]!;
    expect(startArgs(l100, {}).connector).toEqual([
      '--max-concurrent-streams',
      '100',
      '--connections',
      '4',
      '--stream-window',
      '1048576',
      '--session-window',
      '1048576',
    ]);
  });

  it('lets a knob the entry names win over its preset, and a sweep over both', () => {
    const s = withSystem({ id: 'cf', kind: 'h2-tunnel', preset: 'cloudflared', tunnelConnections: 1 }).systems[0]!;
    expect(s).toMatchObject({ tunnelConnections: 1, streamLimit: 0 });
    expect(startArgs(s, { streamLimit: 10 }).connector!.slice(0, 4)).toEqual(['--max-concurrent-streams', '10', '--connections', '1']);
  });

  it("counts a preset's streams over all its tunnel connections where reports hold them against calls in flight", () => {
    const s = parseScenario(
      {
        name: 'p',
        description: 'presets',
        systems: [
          { id: 'l', kind: 'h2-tunnel', preset: 'limit-100' },
          { id: 'cf', kind: 'h2-tunnel', preset: 'cloudflared' },
          { id: 'one', kind: 'h2-tunnel' },
        ],
        load: { model: 'closed', concurrency: 1 },
      },
      'x',
    );
    const results = { scenario: { definition: s } } as unknown as ResultsFile;
    const point = (systemId: string, params: Record<string, number> = {}) => ({ systemId, systemKind: 'h2-tunnel', params }) as PointResult;
    expect(streamLimitOf(point('l'), results)).toBe(400);
    expect(streamLimitOf(point('l', { streamLimit: 10 }), results)).toBe(40);
    expect(streamLimitOf(point('cf'), results)).toBe(0);
    expect(streamLimitOf(point('one'), results)).toBe(100);
    expect(streamLimitOf(point('one', { tunnelConnections: 2 }), results)).toBe(200);
  });

  it('keeps the defaults without a preset, and refuses an unknown one', () => {
    const plain = withSystem({ id: 't', kind: 'h2-tunnel' }).systems[0]!;
    expect(plain).toEqual({ kind: 'h2-tunnel', id: 't', engine: 'default', client: 'http2', streamLimit: 100, tunnelConnections: 1 });
    expect(
      problems({ name: 'p', description: 'd', systems: [{ id: 't', kind: 'h2-tunnel', preset: 'cloudflare' }], load: { model: 'closed', concurrency: 1 } }),
    ).toMatch(/systems\[0\]\.preset: .*cloudflared.*limit-100/);
  });
});
