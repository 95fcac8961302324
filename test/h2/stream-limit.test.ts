/**
 * The stream limit under one name: 0 = unlimited decoded in one place, the default written once, the old
 * scenario field refused with its new name, and each h2-tunnel point recording the limit it ran with.
 */
import { describe, expect, it } from 'vitest';
import { advertisedStreamLimit, DEFAULT_STREAM_LIMIT, isUnlimited, UNLIMITED_ADVERTISED } from '../../src/h2/stream-limit.ts';
import { streamLimitInfo } from '../../src/report/stream-limit.ts';
import type { PointResult, ResultsFile } from '../../src/measure/results.ts';
import { streamLimitAt } from '../../src/run/targets.ts';
import { expandPoints, parseScenario } from '../../src/scenario/index.ts';
import { problems } from '../helpers/scenarios.ts';

const scenario = (system: object, sweep?: object): unknown => ({
  name: 's',
  description: 'd',
  systems: [{ id: 't', kind: 'h2-tunnel', ...system }],
  load: { model: 'closed', concurrency: 1 },
  ...(sweep ? { sweep } : {}),
});

describe('the stream limit', () => {
  it('advertises 0 as 2^32−1 and reads every spelling of unlimited as unlimited', () => {
    expect(advertisedStreamLimit(0)).toBe(UNLIMITED_ADVERTISED);
    expect(advertisedStreamLimit(100)).toBe(100);
    expect([0, UNLIMITED_ADVERTISED, 2 ** 31, Number.POSITIVE_INFINITY].every(isUnlimited)).toBe(true);
    expect([1, 100, 2 ** 31 - 1].some(isUnlimited)).toBe(false);
  });

  it('is streamLimit in a scenario, field and axis alike, 100 by default; the old field name is refused with the new one', () => {
    const [p] = expandPoints(parseScenario(scenario({}), 'x'), false);
    expect(streamLimitAt(p!.system, p!.params)).toEqual({ perConnection: DEFAULT_STREAM_LIMIT, connections: 1 });
    const swept = expandPoints(parseScenario(scenario({ streamLimit: 7, tunnelConnections: 4 }, { streamLimit: [0, 10] }), 'x'), false);
    expect(swept.map((q) => streamLimitAt(q.system, q.params))).toEqual([
      { perConnection: 0, connections: 4 },
      { perConnection: 10, connections: 4 },
    ]);
    expect(problems(scenario({ maxConcurrentStreams: 100 }))).toMatch(/maxConcurrentStreams: renamed: the field is streamLimit now/);
  });

  it('is read by the report from the point, or from an older run’s stored definition', () => {
    const point = (extra: Partial<PointResult>): PointResult => ({
      index: 0,
      systemId: 't',
      systemKind: 'h2-tunnel',
      label: 't',
      params: {},
      status: 'ok',
      trials: [],
      ...extra,
    });
    const results = (systems: object[]): ResultsFile => ({ scenario: { definition: { systems } } }) as unknown as ResultsFile;
    expect(streamLimitInfo(point({ streamLimit: { perConnection: 100, connections: 4 } }), results([]))).toEqual({
      perConnection: 100,
      connections: 4,
      total: 400,
    });
    expect(streamLimitInfo(point({ streamLimit: { perConnection: 0, connections: 4 } }), results([]))!.total).toBe(0);
    // results written before points recorded it: the definition's old field name
    expect(streamLimitInfo(point({}), results([{ id: 't', maxConcurrentStreams: 10, tunnelConnections: 2 }]))).toEqual({
      perConnection: 10,
      connections: 2,
      total: 20,
    });
    expect(streamLimitInfo(point({}), results([{ id: 't', maxConcurrentStreams: UNLIMITED_ADVERTISED }]))!.total).toBe(0);
    expect(streamLimitInfo(point({ systemKind: 'origin' }), results([]))).toBeNull();
  });
});
