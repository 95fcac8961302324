/**
 * Every attack pattern, small, against real servers — node:http2 (`muxbench serve node-http2`, a child
 * process) and nghttpd — and what the judge makes of their answers. The expected answers were first
 * checked by hand against these servers: node's bundled nghttp2 ends flooded sessions with GOAWAY
 * INTERNAL_ERROR (not the ENHANCE_YOUR_CALM the RFC names), nghttpd acknowledges every PING it can.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Budget } from '../../src/attack/budget.ts';
import { resolveParams } from '../../src/attack/params.ts';
import { type Answer, type Observation, PATTERNS, patternById } from '../../src/attack/patterns/index.ts';
import { type RunningTarget, startTarget } from '../../src/attack/targets.ts';

/** Counts are cut to this share of the defaults: enough to cross nghttp2's flood thresholds, quick to send. */
const SCALE = 0.02;
/** Hold patterns hold this long instead of seconds. */
const HOLD_MS = 300;
const OBSERVE_MS = 250;
/**
 * Where a test asserts a connection-level answer, answers are read this long: on a loaded machine a
 * server may take longer than OBSERVE_MS to work through a flood before it says GOAWAY. (A bound, not a
 * speed assertion: nothing here fails because a server was slow within it.)
 */
const ANSWER_OBSERVE_MS = 2000;
const ASSERTED_ANSWERS = new Set(['settings-flood', 'reset-flood', 'rapid-reset', 'hpack-bomb', 'hpack-long-integer']);
const ATTACK_MS = 5000;
const MAX_ATTACK_BYTES = 16 * 1024 * 1024;

interface Seen {
  o: Observation;
  a: Answer;
}

async function attack(
  t: RunningTarget,
  id: string,
  overrides: Record<string, number> = {},
  observeMs = ASSERTED_ANSWERS.has(id) ? ANSWER_OBSERVE_MS : OBSERVE_MS,
): Promise<Seen> {
  const p = patternById(id)!;
  const params = { ...resolveParams(p, SCALE, {}), ...overrides };
  if ('holdMs' in params) params.holdMs = HOLD_MS;
  const startedAt = performance.now();
  const o = await p.run(
    {
      target: { host: t.host, port: t.port, authority: t.authority },
      paths: t.paths,
      budget: new Budget(startedAt + ATTACK_MS, MAX_ATTACK_BYTES),
      observeMs,
      startedAt,
    },
    params,
  );
  return { o, a: p.judge(o, params) };
}

let node: RunningTarget;
let nghttpd: RunningTarget;
const onNode = new Map<string, Seen>();

beforeAll(async () => {
  [node, nghttpd] = await Promise.all([
    startTarget({ kind: 'reference', name: 'node-http2' }, undefined),
    startTarget({ kind: 'reference', name: 'nghttpd' }, undefined),
  ]);
  // rapid reset needs more than nghttp2's reset burst (1000) to draw its answer
  for (const p of PATTERNS) onNode.set(p.id, await attack(node, p.id, p.id === 'rapid-reset' ? { streams: 3000 } : {}));
}, 50_000);

afterAll(async () => {
  await Promise.all([node?.stop(), nghttpd?.stop()]);
});

describe('node:http2 (nghttp2 inside node)', () => {
  it('runs every pattern to the end and survives them all, none answered in a way the RFC does not permit', () => {
    expect([...onNode.keys()]).toEqual(PATTERNS.map((p) => p.id));
    for (const [id, { o, a }] of onNode) {
      expect(o.connections, id).toBeGreaterThan(0);
      expect(o.unitsSent, id).toBeGreaterThan(0);
      expect(a.grade, `${id}: ${a.observed}`).not.toBe('unexpected');
    }
    expect(node.gone()).toBeNull();
  });

  it('ends a SETTINGS flood whose ACKs go unread with GOAWAY INTERNAL_ERROR or a reset: a permitted refusal, not the ENHANCE_YOUR_CALM the RFC names', () => {
    const { o, a } = onNode.get('settings-flood')!;
    expect(o.goawayCodes.INTERNAL_ERROR !== undefined || o.closedByTarget > 0).toBe(true);
    expect(o.goawayCodes.ENHANCE_YOUR_CALM).toBeUndefined();
    expect(o.settingsAcks).toBeLessThan(o.unitsSent);
    expect(a.grade).toBe('tolerated');
  });

  it('answers an undecodable HPACK integer with GOAWAY COMPRESSION_ERROR (RFC 9113 §4.3)', () => {
    const { o, a } = onNode.get('hpack-long-integer')!;
    expect(Object.keys(o.goawayCodes)).toEqual(['COMPRESSION_ERROR']);
    expect(a.grade).toBe('expected');
  });

  it('refuses the HPACK bomb with RST_STREAM ENHANCE_YOUR_CALM and never answers it', () => {
    const { o, a } = onNode.get('hpack-bomb')!;
    expect(o.rstCodes.ENHANCE_YOUR_CALM).toBeGreaterThanOrEqual(1);
    expect(Object.keys(o.statuses)).toEqual([]);
    expect(a.grade).toBe('expected');
  });

  it('stops rapid reset with a GOAWAY long before the last of 3,000 streams', () => {
    const { o } = onNode.get('rapid-reset')!;
    expect(o.goaways.length).toBeGreaterThan(0);
    expect(o.goaways[0]!.lastStreamId).toBeLessThan(2 * 3000);
  });

  it('refuses requests with an upper-case field name with RST_STREAM PROTOCOL_ERROR (below its flood threshold)', () => {
    const { o, a } = onNode.get('reset-flood')!;
    expect(o.rstCodes.PROTOCOL_ERROR ?? o.goawayCodes.INTERNAL_ERROR).toBeGreaterThan(0);
    expect(Object.keys(o.statuses).filter((s) => Number(s) < 400)).toEqual([]);
    expect(a.grade).not.toBe('unexpected');
  });

  it('answers requests full of empty field names as if they were not there: tolerated, RFC 9113 names no rule for them', () => {
    const { o, a } = onNode.get('zero-length-headers')!;
    expect(o.statuses['200']).toBeGreaterThan(0);
    expect(a.grade).toBe('tolerated');
  });

  it('sends no DATA into a zero window, and no more than the 1-byte windows allow', () => {
    expect(onNode.get('zero-window-hold')!.o.dataBytes).toBe(0);
    const dribble = onNode.get('data-dribble')!.o;
    expect(dribble.dataBytes).toBeGreaterThan(0);
    expect(dribble.dataBytes).toBeLessThanOrEqual(dribble.unitsSent);
  });
});

describe('nghttpd (nghttp2 in C)', () => {
  it('acknowledges every PING of a flood it can write out', async () => {
    const { o, a } = await attack(nghttpd, 'ping-flood', {}, ANSWER_OBSERVE_MS);
    expect(o.unitsSent).toBe(2000);
    expect(o.pingAcks).toBe(o.unitsSent);
    expect(a.grade).toBe('expected');
  });

  it('resets each request of empty field names with PROTOCOL_ERROR (RFC 9113 §8.1.1)', async () => {
    const { o, a } = await attack(nghttpd, 'zero-length-headers', {}, ANSWER_OBSERVE_MS);
    expect(o.rstCodes).toEqual({ PROTOCOL_ERROR: o.unitsSent });
    expect(a.grade).toBe('expected');
  });

  it('cuts a CONTINUATION flood short by closing the connection (its 8-frame limit)', async () => {
    const { o, a } = await attack(nghttpd, 'empty-continuation-flood', {}, ANSWER_OBSERVE_MS);
    expect(o.closedByTarget).toBe(1);
    expect(a.grade).toBe('tolerated');
  });

  it('answers an undecodable HPACK integer with GOAWAY COMPRESSION_ERROR', async () => {
    const { o, a } = await attack(nghttpd, 'hpack-long-integer');
    expect(o.goawayCodes.COMPRESSION_ERROR).toBe(1);
    expect(a.grade).toBe('expected');
    expect(nghttpd.gone()).toBeNull();
  });
});
