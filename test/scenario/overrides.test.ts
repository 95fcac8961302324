/**
 * The command line's changes to a scenario (-c, -d, --trials, --set, --system), applied to the file's
 * definition before validation: what the points become, and the messages bad values get.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { effective, expandPoints, loadScenario, parseScenario, type Scenario } from '../../src/scenario/index.ts';
import { applyOverrides, type ScenarioOverrides } from '../../src/scenario/overrides.ts';

const base = {
  name: 'ov',
  description: 'overrides',
  systems: [
    { id: 'a', kind: 'http-grpc', mode: 'streaming' },
    { id: 't', kind: 'h2-tunnel', sweep: { streamLimit: [10, 0] } },
    { id: 'g', kind: 'grpc-tunnel', sweep: { concurrency: [7] } },
  ],
  load: { model: 'closed', concurrency: 1 },
  durationMs: 5000,
  trials: 3,
  sweep: { concurrency: [1, 5] },
  quick: { durationMs: 600, trials: 1, sweep: { concurrency: [50] } },
  claims: [{ kind: 'comparable', id: 'c', claim: 'same', source: 'seed', metric: 'latency', systems: ['t', 'g'] }],
};

const run = (o: ScenarioOverrides, definition: object = base): Scenario => parseScenario(applyOverrides(definition, o, 'ov.ts'), 'ov.ts (with overrides)');
const points = (s: Scenario, quick = false): [string, Record<string, number>][] => expandPoints(s, quick).map((p) => [p.system.id, p.params]);

describe('scenario overrides', () => {
  it('replaces a load axis wherever the scenario sweeps it: its sweep, the quick sweep, a system of its own', () => {
    const s = run({ set: [{ key: 'concurrency', values: [10, 100] }] });
    for (const quick of [false, true]) {
      expect(points(s, quick).filter(([id]) => id !== 't')).toEqual([
        ['a', { concurrency: 10 }],
        ['a', { concurrency: 100 }],
        ['g', { concurrency: 10 }],
        ['g', { concurrency: 100 }],
      ]);
    }
    // the file's object is not touched
    expect(base.sweep.concurrency).toEqual([1, 5]);
  });

  it('sweeps a system knob on the systems it applies to, and refuses it where none does', () => {
    const s = run({ set: [{ key: 'streamLimit', values: [10, 100] }] });
    expect(points(s).filter(([id]) => id === 't')).toEqual([
      ['t', { streamLimit: 10, concurrency: 1 }],
      ['t', { streamLimit: 10, concurrency: 5 }],
      ['t', { streamLimit: 100, concurrency: 1 }],
      ['t', { streamLimit: 100, concurrency: 5 }],
    ]);
    expect(
      points(s)
        .filter(([id]) => id === 'a')
        .every(([, p]) => !('streamLimit' in p)),
    ).toBe(true);
    expect(() => run({ systems: ['a'], set: [{ key: 'streamLimit', values: [10] }] })).toThrow(
      'ov.ts: --set streamLimit: applies to h2-tunnel systems, and this scenario runs none (a: http-grpc)',
    );
  });

  it('sets duration, trials and warm-up for full and quick runs alike', () => {
    const s = run({
      set: [
        { key: 'durationMs', values: [250] },
        { key: 'trials', values: [2] },
        { key: 'warmupMs', values: [0] },
      ],
    });
    for (const quick of [false, true]) expect(effective(s, quick)).toMatchObject({ durationMs: 250, trials: 2, warmupMs: 0 });
  });

  it('runs only the named systems, drops the claims about the others, and names the systems that exist', () => {
    const s = run({ systems: ['a', 't'] });
    expect(s.systems.map((x) => x.id)).toEqual(['a', 't']);
    expect(s.claims).toBeUndefined();
    expect(run({ systems: ['t', 'g'] }).claims).toHaveLength(1);
    expect(() => run({ systems: ['a', 'nope', 'zz'] })).toThrow("ov.ts: --system: no system 'nope', 'zz' in this scenario; its systems: a, t, g");
  });

  it('sets any field by its path, systems and groups by id, one value each', () => {
    const s = run({
      set: [
        { key: 'systems.t.streamLimit', values: [0] },
        { key: 'workload.call', values: ['sleep'] },
        { key: 'workload.delayMs', values: [5] },
      ],
    });
    expect(s.systems[1]).toMatchObject({ id: 't', streamLimit: 0 });
    expect(s.workload).toEqual({ call: 'sleep', payloadBytes: 64, delayMs: 5 });
    expect(() => run({ set: [{ key: 'durationMs', values: [1, 2] }] })).toThrow(
      /--set durationMs: a field takes one value, got 2 \(lists are for the sweep axes: concurrency, /,
    );
    expect(() => run({ set: [{ key: 'speed', values: [1] }] })).toThrow(
      /--set speed: neither a sweep axis \(concurrency, .*\) nor a scenario field \(name, description, systems, /,
    );
    expect(() => run({ set: [{ key: 'systems.x.label', values: ['y'] }] })).toThrow(
      "ov.ts: --set systems.x.label: no entry of systems has the id 'x' (a, t, g)",
    );
    expect(() => run({ set: [{ key: 'concurrency', values: ['many'] }] })).toThrow("ov.ts: --set concurrency: 'many' is not a number");
  });

  it("sweeps the primary group's load, or a group named <id>.<axis>", () => {
    const grouped = {
      name: 'g',
      description: 'groups',
      systems: [{ id: 'o', kind: 'origin' }],
      groups: [
        { id: 'small', load: { model: 'closed', concurrency: 10 } },
        { id: 'bulk', load: { model: 'closed', concurrency: 2 }, sweep: { concurrency: [0, 2] } },
      ],
      quick: { groups: { bulk: { concurrency: [2] } } },
    };
    const s = run(
      {
        set: [
          { key: 'concurrency', values: [20, 40] },
          { key: 'bulk.concurrency', values: [0, 4] },
        ],
      },
      grouped,
    );
    for (const quick of [false, true]) {
      expect(points(s, quick).map(([, p]) => p)).toEqual([
        { 'small.concurrency': 20, 'bulk.concurrency': 0 },
        { 'small.concurrency': 40, 'bulk.concurrency': 0 },
        { 'small.concurrency': 20, 'bulk.concurrency': 4 },
        { 'small.concurrency': 40, 'bulk.concurrency': 4 },
      ]);
    }
  });

  it('sends overridden values through the file checks, saying they came from the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-ov-'));
    const file = join(dir, 'ov.ts');
    writeFileSync(file, `export default ${JSON.stringify(base)};\n`);
    const loaded = await loadScenario(file, { set: [{ key: 'concurrency', values: [3] }] });
    expect(loaded.scenario.sweep).toEqual({ concurrency: [3] });
    await expect(
      loadScenario(file, {
        set: [
          { key: 'concurrency', values: [0, 2.5] },
          { key: 'durationMs', values: [0] },
        ],
      }),
    ).rejects.toThrow(
      [
        `${file} (with concurrency=0,2.5; durationMs=0 from the command line) is not a valid scenario:`,
        '  - durationMs: Too small: expected number to be >0',
      ].join('\n'),
    );
    await expect(loadScenario(file, { set: [{ key: 'concurrency', values: [0, 2.5] }] })).rejects.toThrow(
      [
        `${file} (with concurrency=0,2.5 from the command line) is not a valid scenario:`,
        '  - systems[2].sweep.concurrency: 0 is not a whole number ≥ 1',
        '  - systems[2].sweep.concurrency: 2.5 is not a whole number ≥ 1',
        '  - sweep.concurrency: 0 is not a whole number ≥ 1',
        '  - sweep.concurrency: 2.5 is not a whole number ≥ 1',
        '  - quick.sweep.concurrency: 0 is not a whole number ≥ 1',
        '  - quick.sweep.concurrency: 2.5 is not a whole number ≥ 1',
      ].join('\n'),
    );
  });
});
