/**
 * src/scenario/sweep.ts: how a validated scenario becomes its points. Within a system: its own sweep
 * varies slowest (how its processes start), then the scenario's, then the load groups' (the last group
 * slowest, the primary fastest); in each sweep the first axis given varies slowest. Points are numbered
 * across systems in scenario order; params list their axes in the scenario's order whatever order they
 * vary in. `effective` picks a QUICK run's settings. sweep.ts raises no errors of its own: what it could
 * not expand is refused by validation first (the last block here).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_STEADY_POLICY } from '../../src/measure/steady.ts';
import { effective, expandPoints, parseScenario, type Point, type Scenario, sweptAxes } from '../../src/scenario/index.ts';
import { problems } from '../helpers/scenarios.ts';

const base = { name: 's', description: 'sweeps', load: { model: 'closed', concurrency: 1 } };

function scenario(fields: Record<string, unknown>): Scenario {
  return parseScenario({ ...base, ...fields }, 'test');
}

/** [system id, params] per point, in order. */
const rows = (points: Point[]): [string, Record<string, number>][] => points.map((p) => [p.system.id, { ...p.params }]);
/** Params with their keys in the order the point holds them (toEqual ignores key order). */
const keyed = (points: Point[]): string[][] => points.map((p) => Object.keys(p.params));

describe('expandPoints: one system', () => {
  it('without sweeps: one point, no params', () => {
    const s = scenario({ systems: [{ id: 'o', kind: 'origin' }] });
    const points = expandPoints(s, false);
    expect(points).toEqual([{ index: 0, system: s.systems[0], params: {} }]);
    expect(points[0]!.system).toBe(s.systems[0]); // the scenario's own object, not a copy
  });

  it('the first axis of a sweep varies slowest, the last fastest', () => {
    const s = scenario({ systems: [{ id: 'o', kind: 'origin' }], sweep: { concurrency: [1, 10], payloadBytes: [64, 1024, 4096] } });
    expect(expandPoints(s, false).map((p) => p.params)).toEqual([
      { concurrency: 1, payloadBytes: 64 },
      { concurrency: 1, payloadBytes: 1024 },
      { concurrency: 1, payloadBytes: 4096 },
      { concurrency: 10, payloadBytes: 64 },
      { concurrency: 10, payloadBytes: 1024 },
      { concurrency: 10, payloadBytes: 4096 },
    ]);
  });

  it('the order the axes are written in decides, not a fixed order of axes; values keep their written order', () => {
    const s = scenario({ systems: [{ id: 'o', kind: 'origin' }], sweep: { payloadBytes: [4096, 64], concurrency: [10, 1] } });
    expect(expandPoints(s, false).map((p) => [p.params.payloadBytes, p.params.concurrency])).toEqual([
      [4096, 10],
      [4096, 1],
      [64, 10],
      [64, 1],
    ]);
    expect(keyed(expandPoints(s, false))[0]).toEqual(['payloadBytes', 'concurrency']);
  });

  it('the system’s own sweep varies slower than the scenario’s, and its axes come first in params', () => {
    const s = scenario({
      systems: [{ id: 't', kind: 'h2-tunnel', sweep: { tunnelConnections: [1, 4], streamLimit: [10, 0] } }],
      sweep: { concurrency: [1, 100] },
    });
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.params.tunnelConnections, p.params.streamLimit, p.params.concurrency])).toEqual([
      [1, 10, 1],
      [1, 10, 100],
      [1, 0, 1],
      [1, 0, 100],
      [4, 10, 1],
      [4, 10, 100],
      [4, 0, 1],
      [4, 0, 100],
    ]);
    expect(new Set(keyed(points).map((k) => k.join()))).toEqual(new Set(['tunnelConnections,streamLimit,concurrency']));
    expect(points.map((p) => p.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('an axis both sweep is the system’s alone for that system: its values, in its place', () => {
    const s = scenario({
      systems: [
        { id: 'slow', kind: 'origin', sweep: { concurrency: [7] } },
        { id: 'o', kind: 'origin' },
      ],
      sweep: { payloadBytes: [64, 128], concurrency: [1, 10] },
    });
    const points = expandPoints(s, false);
    expect(rows(points)).toEqual([
      ['slow', { concurrency: 7, payloadBytes: 64 }],
      ['slow', { concurrency: 7, payloadBytes: 128 }],
      ['o', { payloadBytes: 64, concurrency: 1 }],
      ['o', { payloadBytes: 64, concurrency: 10 }],
      ['o', { payloadBytes: 128, concurrency: 1 }],
      ['o', { payloadBytes: 128, concurrency: 10 }],
    ]);
    expect(keyed(points)[0]).toEqual(['concurrency', 'payloadBytes']);
    expect(keyed(points)[2]).toEqual(['payloadBytes', 'concurrency']);
  });
});

describe('expandPoints: several systems', () => {
  it('points grouped by system in scenario order, numbered on across systems', () => {
    const s = scenario({
      systems: [
        { id: 'a', kind: 'origin' },
        { id: 'b', kind: 'http-grpc' },
        { id: 'c', kind: 'grpc-tunnel' },
      ],
      sweep: { concurrency: [1, 2] },
    });
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.index, p.system.id, p.params.concurrency])).toEqual([
      [0, 'a', 1],
      [1, 'a', 2],
      [2, 'b', 1],
      [3, 'b', 2],
      [4, 'c', 1],
      [5, 'c', 2],
    ]);
    points.forEach((p, i) => {
      expect(p.system).toBe(s.systems[Math.floor(i / 2)]);
    });
  });

  it('axes that apply to some kinds only are swept by those systems alone; the others get one point per shared value', () => {
    const s = scenario({
      systems: [
        { id: 'o', kind: 'origin' },
        { id: 'h2', kind: 'h2-tunnel', sweep: { streamLimit: [10, 100] } },
        { id: 'g', kind: 'grpc-tunnel', sweep: { streamWindowBytes: [65_535, 1 << 20] } },
        { id: 'hg', kind: 'http-grpc', sweep: { batchWindowMs: [0, 2] } },
      ],
      sweep: { clientConnections: [1, 2] },
    });
    const points = expandPoints(s, false);
    expect(points.map((p) => p.index)).toEqual(Array.from({ length: 2 + 4 + 4 + 4 }, (_, i) => i));
    expect(rows(points)).toEqual([
      ['o', { clientConnections: 1 }],
      ['o', { clientConnections: 2 }],
      ['h2', { streamLimit: 10, clientConnections: 1 }],
      ['h2', { streamLimit: 10, clientConnections: 2 }],
      ['h2', { streamLimit: 100, clientConnections: 1 }],
      ['h2', { streamLimit: 100, clientConnections: 2 }],
      ['g', { streamWindowBytes: 65_535, clientConnections: 1 }],
      ['g', { streamWindowBytes: 65_535, clientConnections: 2 }],
      ['g', { streamWindowBytes: 1 << 20, clientConnections: 1 }],
      ['g', { streamWindowBytes: 1 << 20, clientConnections: 2 }],
      ['hg', { batchWindowMs: 0, clientConnections: 1 }],
      ['hg', { batchWindowMs: 0, clientConnections: 2 }],
      ['hg', { batchWindowMs: 2, clientConnections: 1 }],
      ['hg', { batchWindowMs: 2, clientConnections: 2 }],
    ]);
    expect(sweptAxes(points)).toEqual(['clientConnections', 'streamLimit', 'streamWindowBytes', 'batchWindowMs']);
  });
});

describe('expandPoints: QUICK runs', () => {
  const systems = [
    { id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [10, 0] } },
    { id: 'o', kind: 'origin' },
  ];

  it('quick.sweep replaces the scenario’s sweep whole: an axis it leaves out is not swept', () => {
    const s = scenario({ systems, sweep: { concurrency: [1, 10, 100], payloadBytes: [64, 4096] }, quick: { sweep: { concurrency: [5] } } });
    expect(rows(expandPoints(s, true))).toEqual([
      ['t', { streamLimit: 10, concurrency: 5 }],
      ['t', { streamLimit: 0, concurrency: 5 }],
      ['o', { concurrency: 5 }],
    ]);
    expect(expandPoints(s, false)).toHaveLength(2 * 6 + 6);
  });

  it('a quick section without a sweep keeps the scenario’s; a run that is not QUICK ignores quick', () => {
    const s = scenario({ systems, sweep: { concurrency: [1, 2] }, quick: { durationMs: 100 } });
    expect(rows(expandPoints(s, true))).toEqual(rows(expandPoints(s, false)));
    const noQuick = scenario({ systems, sweep: { concurrency: [1, 2] } });
    expect(rows(expandPoints(noQuick, true))).toEqual(rows(expandPoints(noQuick, false)));
  });

  it('a system’s own sweep is the same in QUICK runs', () => {
    const s = scenario({ systems, sweep: { concurrency: [1, 2] }, quick: { sweep: { concurrency: [3] } } });
    expect(
      expandPoints(s, true)
        .filter((p) => p.system.id === 't')
        .map((p) => p.params.streamLimit),
    ).toEqual([10, 0]);
  });
});

describe('expandPoints: load groups', () => {
  const group = (id: string, sweep?: Record<string, number[]>, load: Record<string, unknown> = { model: 'closed', concurrency: 1 }) => ({
    id,
    load,
    ...(sweep ? { sweep } : {}),
  });
  const grouped = (fields: Record<string, unknown>): Scenario => parseScenario({ name: 'g', description: 'groups', ...fields }, 'test');

  it('each group’s axes named <group>.<axis>; the last group varies slowest and the primary fastest; params list the primary first', () => {
    const s = grouped({
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [group('a', { concurrency: [1, 2] }), group('b', { concurrency: [0, 3] }), group('c', { concurrency: [0, 5] })],
    });
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.params['c.concurrency'], p.params['b.concurrency'], p.params['a.concurrency']])).toEqual([
      [0, 0, 1],
      [0, 0, 2],
      [0, 3, 1],
      [0, 3, 2],
      [5, 0, 1],
      [5, 0, 2],
      [5, 3, 1],
      [5, 3, 2],
    ]);
    expect(new Set(keyed(points).map((k) => k.join()))).toEqual(new Set(['a.concurrency,b.concurrency,c.concurrency']));
    expect(sweptAxes(points)).toEqual(['a.concurrency', 'b.concurrency', 'c.concurrency']);
  });

  it('within a group, its first axis varies slower; a group without a sweep adds no params', () => {
    const s = grouped({
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [group('a', { payloadBytes: [64, 128], concurrency: [1, 2] }), group('quiet')],
    });
    expect(expandPoints(s, false).map((p) => p.params)).toEqual([
      { 'a.payloadBytes': 64, 'a.concurrency': 1 },
      { 'a.payloadBytes': 64, 'a.concurrency': 2 },
      { 'a.payloadBytes': 128, 'a.concurrency': 1 },
      { 'a.payloadBytes': 128, 'a.concurrency': 2 },
    ]);
  });

  it('group axes vary fastest of all: the system’s sweep, then the scenario’s, then the groups’', () => {
    const s = grouped({
      systems: [{ id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [10, 0] } }],
      sweep: { clientConnections: [1, 2] },
      groups: [group('a', { concurrency: [1, 2] })],
    });
    const points = expandPoints(s, false);
    expect(points.map((p) => [p.params.streamLimit, p.params.clientConnections, p.params['a.concurrency']])).toEqual([
      [10, 1, 1],
      [10, 1, 2],
      [10, 2, 1],
      [10, 2, 2],
      [0, 1, 1],
      [0, 1, 2],
      [0, 2, 1],
      [0, 2, 2],
    ]);
    expect(keyed(points)[0]).toEqual(['streamLimit', 'clientConnections', 'a.concurrency']);
  });

  it('a system’s own entry for a group replaces that group’s sweep for it alone, in full and QUICK runs, over quick.groups', () => {
    const s = grouped({
      systems: [
        { id: 'slow', kind: 'origin', groups: { a: { concurrency: [5] } } },
        { id: 'o', kind: 'origin' },
      ],
      groups: [group('a', { concurrency: [10, 100] }), group('b', { concurrency: [0, 4] })],
      quick: { groups: { a: { concurrency: [20] } } },
    });
    const slow = (quick: boolean) =>
      expandPoints(s, quick)
        .filter((p) => p.system.id === 'slow')
        .map((p) => p.params);
    const o = (quick: boolean) =>
      expandPoints(s, quick)
        .filter((p) => p.system.id === 'o')
        .map((p) => p.params);
    for (const quick of [false, true]) {
      expect(slow(quick)).toEqual([
        { 'a.concurrency': 5, 'b.concurrency': 0 },
        { 'a.concurrency': 5, 'b.concurrency': 4 },
      ]);
    }
    expect(o(false).map((p) => p['a.concurrency'])).toEqual([10, 100, 10, 100]);
    expect(o(true)).toEqual([
      { 'a.concurrency': 20, 'b.concurrency': 0 },
      { 'a.concurrency': 20, 'b.concurrency': 4 },
    ]);
  });

  it('quick.groups replaces only the groups it names; the others keep their sweeps in QUICK runs', () => {
    const s = grouped({
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [group('a', { concurrency: [10, 100] }), group('b', { concurrency: [0, 4] })],
      quick: { groups: { b: { concurrency: [0] } } },
    });
    expect(expandPoints(s, true).map((p) => p.params)).toEqual([
      { 'a.concurrency': 10, 'b.concurrency': 0 },
      { 'a.concurrency': 100, 'b.concurrency': 0 },
    ]);
  });

  it('an open-loop group sweeps its rate the same way', () => {
    const s = grouped({
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [group('calls', { ratePerSec: [100, 1000] }, { model: 'open', ratePerSec: 1 }), group('bulk', { concurrency: [0, 2] })],
    });
    expect(expandPoints(s, false).map((p) => p.params)).toEqual([
      { 'calls.ratePerSec': 100, 'bulk.concurrency': 0 },
      { 'calls.ratePerSec': 1000, 'bulk.concurrency': 0 },
      { 'calls.ratePerSec': 100, 'bulk.concurrency': 2 },
      { 'calls.ratePerSec': 1000, 'bulk.concurrency': 2 },
    ]);
  });
});

describe('effective', () => {
  const s = scenario({
    systems: [{ id: 'o', kind: 'origin' }],
    warmupMs: 2000,
    maxWarmupMs: 30_000,
    steadyTolerance: 0.05,
    durationMs: 8000,
    trials: 5,
    sweep: { concurrency: [1, 10] },
  });

  it('a full run: the scenario’s settings, warm-up between warmupMs and maxWarmupMs at its tolerance', () => {
    expect(effective(s, false)).toEqual({
      warmupMs: 2000,
      durationMs: 8000,
      trials: 5,
      sweep: { concurrency: [1, 10] },
      steady: { ...DEFAULT_STEADY_POLICY, minMs: 2000, maxMs: 30_000, tolerance: 0.05 },
    });
  });

  it('a QUICK run: each setting its quick section gives, the scenario’s for the rest', () => {
    const q = scenario({ ...s, quick: { durationMs: 500, trials: 1, maxWarmupMs: 3000, sweep: { concurrency: [4] } } });
    expect(effective(q, true)).toEqual({
      warmupMs: 2000,
      durationMs: 500,
      trials: 1,
      sweep: { concurrency: [4] },
      steady: { ...DEFAULT_STEADY_POLICY, minMs: 2000, maxMs: 3000, tolerance: 0.05 },
    });
    expect(effective(q, false)).toEqual(effective(s, false));
    expect(effective(s, true)).toEqual(effective(s, false)); // no quick section: QUICK is the full run
  });

  it('the longest warm-up is never shorter than the shortest: maxMs rises to warmupMs', () => {
    const q = scenario({ ...s, quick: { warmupMs: 4000, maxWarmupMs: 1000 } });
    expect(effective(q, true).steady).toMatchObject({ minMs: 4000, maxMs: 4000 });
    expect(effective(q, true).warmupMs).toBe(4000);
  });

  it('no sweep anywhere: an empty one', () => {
    expect(effective(scenario({ systems: [{ id: 'o', kind: 'origin' }] }), false).sweep).toEqual({});
  });
});

describe('sweptAxes', () => {
  it('every axis any point has, in the order first met', () => {
    const point = (params: Record<string, number>, index: number): Point => ({
      index,
      system: scenario({ systems: [{ id: 'o', kind: 'origin' }] }).systems[0]!,
      params,
    });
    expect(sweptAxes([])).toEqual([]);
    expect(sweptAxes([point({}, 0)])).toEqual([]);
    expect(
      sweptAxes([point({ streamLimit: 1, concurrency: 2 }, 0), point({ concurrency: 3, 'bulk.concurrency': 0 }, 1), point({ payloadBytes: 1 }, 2)]),
    ).toEqual(['streamLimit', 'concurrency', 'bulk.concurrency', 'payloadBytes']);
  });
});

describe('sweeps expandPoints never sees: refused by validation, naming the place', () => {
  it.each([
    ['sweep', { sweep: { concurrency: [] } }, /sweep\.concurrency: a sweep axis needs at least one value/],
    ['quick.sweep', { quick: { sweep: { payloadBytes: [] } } }, /quick\.sweep\.payloadBytes: a sweep axis needs at least one value/],
    [
      'a system’s sweep',
      { systems: [{ id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [] } }] },
      /systems\[0\]\.sweep\.streamLimit: a sweep axis needs at least one value/,
    ],
    ['an unknown axis', { sweep: { threads: [1] } }, /sweep: Unrecognized key: "threads"/],
    ['a negative value', { sweep: { payloadBytes: [-1] } }, /sweep\.payloadBytes: -1 is not a whole number ≥ 0/],
  ])('an empty or impossible axis in %s', (_where, fields, message) => {
    expect(problems({ ...base, systems: [{ id: 'o', kind: 'origin' }], ...fields })).toMatch(message);
  });

  it('an axis the scenario or its quick section sweeps must apply to every system', () => {
    const systems = [
      { id: 'o', kind: 'origin' },
      { id: 't', kind: 'h2-tunnel' },
    ];
    expect(problems({ ...base, systems, sweep: { streamLimit: [10] } })).toMatch(
      /sweep\.streamLimit: does not apply to systems\[0\] \(kind origin\); it applies to h2-tunnel/,
    );
    expect(problems({ ...base, systems, quick: { sweep: { tunnelConnections: [2] } } })).toMatch(
      /quick\.sweep\.tunnelConnections: does not apply to systems\[0\] \(kind origin\)/,
    );
  });

  it('a group sweep with an empty axis', () => {
    const msg = problems({
      name: 'g',
      description: 'd',
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [{ id: 'a', load: { model: 'closed', concurrency: 1 }, sweep: { concurrency: [] } }],
    });
    expect(msg).toMatch(/groups\[0\]\.sweep\.concurrency: a sweep axis needs at least one value/);
  });
});
