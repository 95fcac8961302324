/**
 * The gate's measurement of a scenario with load groups: both sides (here the same tree) warm every group
 * together and measure them over shared windows each round; the results carry the groups, and their
 * plain figures are the primary group's, which is what the verdict compares.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GateRunner } from '../../src/gate/run.ts';
import { stopAll } from '../helpers/cli.ts';

afterAll(stopAll);

const quiet = { start() {}, trial() {}, note() {}, done() {} };

describe('gate with load groups', () => {
  it('measures every group on both sides, interleaved, with the primary as the point', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'muxbench-gate-groups-'));
    const file = join(dir, 'tiny-mixed.mjs');
    writeFileSync(
      file,
      `export default ${JSON.stringify({
        name: 'tiny-mixed',
        description: 'small calls with larger downloads, short',
        systems: [{ id: 'origin', kind: 'origin' }],
        groups: [
          { id: 'small', load: { model: 'closed', concurrency: 4 } },
          { id: 'bulk', workload: { call: 'sized', payloadBytes: 32_768 }, load: { model: 'closed', concurrency: 1 } },
        ],
        warmupMs: 200,
        maxWarmupMs: 1500,
        durationMs: 300,
        trials: 2,
      })};\n`,
    );
    const side = (name: 'base' | 'candidate') => ({ name, start: {}, commit: null });
    const runner = new GateRunner({
      scenarios: [file],
      sides: { base: side('base'), candidate: side('candidate') },
      rounds: 2,
      rewarmMs: 200,
      outDir: join(dir, 'out'),
      progress: quiet,
    });
    const [run] = await runner.run();
    for (const r of [run!.base, run!.candidate]) {
      const [p] = r.points;
      expect(p!.status, p!.reason).not.toBe('failed');
      expect(p!.groups!.map((g) => [g.id, g.trials.length])).toEqual([
        ['small', 2],
        ['bulk', 2],
      ]);
      for (const g of p!.groups!) for (const t of g.trials) expect(t.requests).toBeGreaterThan(0);
      expect(p!.trials).toEqual(p!.groups![0]!.trials);
      expect(p!.summary).toEqual(p!.groups![0]!.summary);
    }
  });
});
