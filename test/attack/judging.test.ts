/**
 * The pure parts of `muxbench attack`, with literal inputs: where traffic may go, the frames and HPACK
 * blocks the patterns build (checked against our own decoder), how answers are graded, how a pattern's
 * verdict follows from what was measured, and how arguments and plans become a run.
 */
import { describe, expect, it } from 'vitest';
import { parseAttackArgs } from '../../src/attack/cli.ts';
import { AttackInputError } from '../../src/attack/errors.ts';
import { overlongNameIndexField, priorityFrame } from '../../src/attack/frames.ts';
import { checkAttackHost, isLoopbackAddress } from '../../src/attack/loopback.ts';
import { parsePlan, toRunOptions } from '../../src/attack/plan.ts';
import { bombBlock } from '../../src/attack/patterns/hpack-bomb.ts';
import { type Observation, PATTERNS, patternById } from '../../src/attack/patterns/index.ts';
import { longestGap } from '../../src/attack/service.ts';
import type { Service } from '../../src/attack/service.ts';
import type { RoleUsage } from '../../src/attack/usage-sampler.ts';
import { DEFAULT_LIMITS, judgeOutcome } from '../../src/attack/verdict.ts';
import { encodeHeaderBlock, HpackDecoder } from '../../src/h2/hpack.ts';

function obs(o: Partial<Observation>): Observation {
  return {
    connections: 1,
    connectFailures: 0,
    connectErrors: [],
    unit: 'units',
    unitsPlanned: 100,
    unitsSent: 100,
    bytesSent: 1000,
    trafficMs: 10,
    stoppedBy: 'done',
    goaways: [],
    goawayCodes: {},
    rstCodes: {},
    statuses: {},
    pingAcks: 0,
    settingsAcks: 0,
    dataBytes: 0,
    dataFrames: 0,
    closedByTarget: 0,
    firstCloseAtMs: null,
    targetProtocolErrors: [],
    notes: [],
    ...o,
  };
}

const grade = (id: string, o: Partial<Observation>): string => {
  const p = patternById(id)!;
  return p.judge(obs(o), p.defaults).grade;
};

const goaway = (code: string): Partial<Observation> => ({ goaways: [{ code, lastStreamId: 1, debug: '', atMs: 5 }], goawayCodes: { [code]: 1 } });

describe('where attack traffic may go', () => {
  it('knows loopback addresses, IPv4, IPv6 and IPv4-mapped', () => {
    for (const a of ['127.0.0.1', '127.3.2.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(a), a).toBe(true);
    for (const a of ['10.0.0.1', '192.0.2.1', '::', '::ffff:10.0.0.1', '2001:db8::1', 'localhost']) expect(isLoopbackAddress(a), a).toBe(false);
  });

  it('refuses a remote host unless allowed, and accepts localhost', async () => {
    await expect(checkAttackHost('192.0.2.1', false)).rejects.toMatchObject({
      code: 'MUX_ERR_ATTACK_REMOTE',
      message: expect.stringContaining('--allow-remote'),
    });
    await expect(checkAttackHost('[2001:db8::1]', false)).rejects.toMatchObject({ code: 'MUX_ERR_ATTACK_REMOTE' });
    await expect(checkAttackHost('192.0.2.1', true)).resolves.toBeUndefined();
    await expect(checkAttackHost('localhost', false)).resolves.toBeUndefined();
    await expect(checkAttackHost('[::1]', false)).resolves.toBeUndefined();
  });
});

describe('what the patterns put on the wire', () => {
  it('an overlong HPACK integer: a 6-bit prefix of ones, n octets without bits, a final 0x01, then the value', () => {
    expect([...overlongNameIndexField(3)]).toEqual([0x7f, 0x80, 0x80, 0x80, 0x01, 0x01, 0x78]);
  });

  it('a PRIORITY frame: exclusive bit, dependency, weight (RFC 9113 §6.3)', () => {
    expect([...priorityFrame(3, 5, true, 200)]).toEqual([0, 0, 5, 0x2, 0, 0, 0, 0, 3, 0x80, 0, 0, 5, 200]);
  });

  it('an HPACK bomb decodes (by our own decoder) to more than 2,500 times its size', () => {
    const head = encodeHeaderBlock([
      [':method', 'GET'],
      [':path', '/'],
    ]);
    const { block, decodedBytes } = bombBlock(head, 4096, 16_384);
    expect(block.length).toBe(16_384);
    let decoded = 0;
    let fields = 0;
    new HpackDecoder().decode(block, 0, block.length, (name, value) => {
      decoded += name.length + value.length;
      fields++;
    });
    expect(fields).toBeGreaterThan(12_000);
    expect(decoded).toBeGreaterThan(2500 * block.length);
    expect(decoded - 'GET'.length - ':method'.length - ':path'.length - 1).toBe(decodedBytes);
  });
});

describe('grading answers', () => {
  it('floods: ENHANCE_YOUR_CALM is the named answer, another GOAWAY or a bare close is permitted, silence with unread ACKs is not', () => {
    expect(grade('ping-flood', goaway('ENHANCE_YOUR_CALM'))).toBe('expected');
    expect(grade('ping-flood', goaway('INTERNAL_ERROR'))).toBe('tolerated');
    expect(grade('ping-flood', { closedByTarget: 1, firstCloseAtMs: 3 })).toBe('tolerated');
    expect(grade('ping-flood', { pingAcks: 100 })).toBe('expected');
    expect(grade('ping-flood', { pingAcks: 40 })).toBe('unexpected');
    expect(grade('settings-flood', { settingsAcks: 99 })).toBe('unexpected');
  });

  it('malformed requests answered as if fine are not permitted', () => {
    expect(grade('reset-flood', { statuses: { '200': 100 } })).toBe('unexpected');
    expect(grade('reset-flood', { rstCodes: { PROTOCOL_ERROR: 100 } })).toBe('expected');
    expect(grade('reset-flood', {})).toBe('unexpected');
  });

  it('an HPACK bomb must be refused: 431 or a reset, never a response; a 502 means it was forwarded', () => {
    expect(grade('hpack-bomb', { statuses: { '431': 4 } })).toBe('expected');
    expect(grade('hpack-bomb', { rstCodes: { ENHANCE_YOUR_CALM: 4 } })).toBe('expected');
    expect(grade('hpack-bomb', { rstCodes: { INTERNAL_ERROR: 4 } })).toBe('tolerated');
    expect(grade('hpack-bomb', { statuses: { '200': 1 } })).toBe('unexpected');
    expect(grade('hpack-bomb', { statuses: { '502': 4 } })).toBe('unexpected');
  });

  it('a CONTINUATION flood nobody stops is not permitted; an undecodable integer owes COMPRESSION_ERROR', () => {
    expect(grade('empty-continuation-flood', {})).toBe('unexpected');
    expect(grade('continuation-flood', { statuses: { '431': 1 } })).toBe('expected');
    expect(grade('hpack-long-integer', goaway('COMPRESSION_ERROR'))).toBe('expected');
    expect(grade('hpack-long-integer', goaway('PROTOCOL_ERROR'))).toBe('tolerated');
    expect(grade('hpack-long-integer', { statuses: { '200': 1 } })).toBe('unexpected');
  });

  it('flow control: DATA into a zero window, or past the 1-byte windows, is not permitted', () => {
    expect(grade('zero-window-hold', { dataBytes: 1 })).toBe('unexpected');
    expect(grade('zero-window-hold', { statuses: { '200': 100 } })).toBe('expected');
    expect(grade('data-dribble', { dataBytes: 101 })).toBe('unexpected');
    expect(grade('data-dribble', { dataBytes: 100 })).toBe('expected');
  });

  it('rapid reset absorbed without GOAWAY is permitted, leaving the verdict to CPU, memory and recovery', () => {
    expect(grade('rapid-reset', goaway('ENHANCE_YOUR_CALM'))).toBe('expected');
    expect(grade('rapid-reset', {})).toBe('tolerated');
  });

  it('a pattern that could not open a connection has attacked nothing', () => {
    for (const p of PATTERNS)
      expect(p.judge(obs({ connections: 0, connectFailures: 1, connectErrors: ['ECONNREFUSED'] }), p.defaults).grade, p.id).toBe('unexpected');
  });
});

describe('verdicts', () => {
  const usage = (growth: number): RoleUsage => ({
    pids: [1],
    cpuBaseline: 0.1,
    cpuAttack: 0.5,
    cpuRecovery: 0.1,
    cpuAttackMs: 500,
    rssBeforeBytes: 50e6,
    rssPeakBytes: 50e6 + growth,
    rssAfterBytes: 50e6,
    rssGrowthBytes: growth,
    peakExact: true,
  });
  const service = (servingAgainMs: number | null): Service => ({ servingAgainMs }) as Service;
  const expected = { grade: 'expected' as const, observed: 'GOAWAY', note: '' };
  const base = { answer: expected, crash: null, usage: usage(1e6), service: service(3), recoveryWindowMs: 5000, error: null };

  it('holds when the answer is permitted, memory bounded and serving resumed in time', () => {
    expect(judgeOutcome(base, DEFAULT_LIMITS)).toEqual({ verdict: 'held', reasons: [] });
  });

  it('fails with every reason: an answer not permitted, RSS past the limit, serving again too late or never', () => {
    const r = judgeOutcome(
      { ...base, answer: { ...expected, grade: 'unexpected', note: 'no answer' }, usage: usage(300 * 2 ** 20), service: service(2500) },
      DEFAULT_LIMITS,
    );
    expect(r.verdict).toBe('failed');
    expect(r.reasons).toEqual(['answer: no answer', 'RSS grew 300 MiB (limit 100 MiB)', 'serving again only 2.50 s after the attack (limit 2.00 s)']);
    expect(judgeOutcome({ ...base, service: service(null) }, DEFAULT_LIMITS).reasons).toEqual(['not serving again within 5.00 s after the attack']);
  });

  it('a crash outranks everything', () => {
    expect(judgeOutcome({ ...base, crash: { role: 'edge', detail: 'exited (code 1)\nTypeError' } }, DEFAULT_LIMITS)).toEqual({
      verdict: 'crashed',
      reasons: ['edge exited (code 1)'],
    });
  });

  it('reads the longest stretch without a success from the attack on', () => {
    expect(longestGap([5, 0, 0, 0, 4, 0, 0, 3, 0], 0)).toBe(3);
    expect(longestGap([5, 0, 0, 0, 4, 0, 0, 3, 0], 4)).toBe(2);
    expect(longestGap([1, 2, 3], 0)).toBe(0);
  });
});

describe('arguments and plans', () => {
  const fails = (argv: string[], message: RegExp): void => {
    let caught: unknown;
    try {
      toRunOptions(parseAttackArgs(argv).plan, parseAttackArgs(argv).sets);
    } catch (err) {
      caught = err;
    }
    expect(caught, argv.join(' ')).toBeInstanceOf(AttackInputError);
    expect((caught as Error).message).toMatch(message);
  };

  it('turns arguments into targets, patterns, parameters and settings', () => {
    const cmd = parseAttackArgs([
      'h2-edge',
      '--targets',
      'nghttpx,http://127.0.0.1:8080/x',
      '--patterns',
      'rapid-reset,slowloris',
      '--set',
      'rapid-reset.streams=500',
      '--scale',
      '0.5',
      '--baseline-ms',
      '2000',
    ]);
    const o = toRunOptions(cmd.plan, cmd.sets);
    expect(o.targets.map((t) => (t.kind === 'reference' ? t.name : t.url))).toEqual(['h2-edge', 'nghttpx', 'http://127.0.0.1:8080/x']);
    expect(o.patterns).toEqual(['rapid-reset', 'slowloris']);
    expect(o.overrides).toEqual({ 'rapid-reset': { streams: 500 } });
    expect(o.settings.scale).toBe(0.5);
    expect(o.settings.baselineMs).toBe(2000);
    expect(toRunOptions(parseAttackArgs(['node-http2']).plan).patterns).toEqual(PATTERNS.map((p) => p.id));
  });

  it('names what is wrong in bad arguments', () => {
    fails([], /name a target/);
    fails(['node-http2', '--patterns', 'ping-flood,nope'], /unknown pattern 'nope'/);
    fails(['node-http2', '--set', 'rapid-reset.bogus=1'], /has no parameter 'bogus'; it has streams/);
    fails(['node-http2', '--set', 'rapid-reset.streams=-5'], /must be an integer from 0/);
    fails(['node-http2', '--set', 'nonsense'], /expected PATTERN.PARAM=VALUE/);
    fails(['node-http2', '--baseline-ms', 'soon'], /--baseline-ms: 'soon' is not valid/);
    fails(['node-http2', '--pid', '123'], /--pid belongs to one URL target/);
    fails(['node-http2', '--frobnicate'], /^unknown option '--frobnicate'$/);
    fails(['node-http2', 'node-http2'], /named twice/);
    fails(['node-http2', '--concurrency', '2', '--load-connections', '4'], /cannot exceed --concurrency/);
  });

  it('checks a plan field by field', () => {
    expect(() => parsePlan({ targets: ['node-http2'], baselineMs: 5, colour: 'red' }, 'plan.json')).toThrow(
      /plan.json is not a valid attack plan:\n {2}- baselineMs: .*\n {2}- \(top level\): Unrecognized key/,
    );
    expect(parsePlan({ targets: ['node-http2'], set: { 'rapid-reset': { streams: 10 } } }, 'p').set).toEqual({ 'rapid-reset': { streams: 10 } });
  });
});
