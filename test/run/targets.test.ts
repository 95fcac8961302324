/**
 * src/run/targets.ts without processes: the command lines each system kind starts with (and so which
 * points can share a running system), what the load engine sends where for each protocol, and the load
 * model a scenario's load becomes. Targets are built by hand, as a started system would report them.
 */
import { describe, expect, it } from 'vitest';
import type { EngineSpec } from '../../src/load/engine.ts';
import { engineSpecFor, loadModelOf, loadPlansOf, startArgs, startKey, type Target } from '../../src/run/targets.ts';
import { expandPoints, type Params, parseScenario, type SystemSpec, type Workload } from '../../src/scenario/index.ts';
import type { HttpGrpcClientOptions } from '../../src/clients/http-grpc/client.ts';
import { FUNC } from '../../src/clients/http-grpc/builtins.ts';
import { CRATE_MAX_CALLS_PER_REQUEST } from '../../src/wire/index.ts';

const LOAD = { model: 'closed', concurrency: 1 } as const;

/** A system as a validated scenario holds it (defaults and presets applied). */
function system(spec: Record<string, unknown>): SystemSpec {
  return parseScenario({ name: 't', description: 'targets', systems: [{ id: 's', ...spec }], load: LOAD }, 'test').systems[0]!;
}

/** The client options of an http_grpc spec (fails the test for any other protocol). */
function httpGrpcClient(spec: EngineSpec): HttpGrpcClientOptions {
  if (spec.protocol !== 'http-grpc') throw new Error(`expected an http-grpc spec, got ${spec.protocol}`);
  return spec.client;
}

function target(urls: Record<string, string>): Target {
  return { processes: {}, urls, stop: async () => {} };
}

const ECHO: Workload = { call: 'echo', payloadBytes: 64, delayMs: 0 };
const SIZED: Workload = { call: 'sized', payloadBytes: 4096, delayMs: 0 };
const SLEEP: Workload = { call: 'sleep', payloadBytes: 10, delayMs: 25 };

/** The URLs the origin reports (src/systems/origin/system.ts) … */
const ORIGIN_URLS = { http: 'http://127.0.0.1:1001', grpc: 'http://127.0.0.1:1002', ws: 'ws://127.0.0.1:1003', tcp: 'tcp://127.0.0.1:1004' };
/** … and a tunnel stack (src/run/stacks.ts): the edge's, then its origin's, which the load must not go to directly. */
const TUNNEL_URLS = {
  public: 'http://127.0.0.1:2001',
  tcp: 'tcp://127.0.0.1:2002',
  tunnel: 'http://127.0.0.1:2003',
  ...Object.fromEntries(Object.entries(ORIGIN_URLS).map(([k, v]) => [`origin.${k}`, v])),
};

describe('startArgs: each kind’s command line', () => {
  it('http-grpc: its mode, --http2 for h2c, --max-inflight when given', () => {
    expect(startArgs(system({ kind: 'http-grpc' }), {})).toEqual({ server: ['--mode', 'streaming'] });
    expect(startArgs(system({ kind: 'http-grpc', mode: 'compat', transport: 'h2c', maxInflight: 500 }), {})).toEqual({
      server: ['--mode', 'compat', '--http2', '--max-inflight', '500'],
    });
  });

  it('origin: nothing to say', () => {
    expect(startArgs(system({ kind: 'origin' }), { concurrency: 5 })).toEqual({ origin: [] });
  });

  it('h2-tunnel: stream limit and connections always, the other knobs when given', () => {
    expect(startArgs(system({ kind: 'h2-tunnel' }), {})).toEqual({ connector: ['--max-concurrent-streams', '100', '--connections', '1'] });
    const full = system({
      kind: 'h2-tunnel',
      streamLimit: 7,
      tunnelConnections: 3,
      streamWindowBytes: 1000,
      sessionWindowBytes: 2000,
      maxSessionMemoryMb: 64,
      originProtocol: 'h2c',
    });
    expect(startArgs(full, {})).toEqual({
      connector: [
        '--max-concurrent-streams',
        '7',
        '--connections',
        '3',
        '--stream-window',
        '1000',
        '--session-window',
        '2000',
        '--max-session-memory',
        '64',
        '--origin-protocol',
        'h2c',
      ],
    });
  });

  it('h2-tunnel: swept values win over the system’s, 0 (unlimited streams) included', () => {
    const t = system({ kind: 'h2-tunnel', streamLimit: 7, tunnelConnections: 3, streamWindowBytes: 1000 });
    expect(startArgs(t, { streamLimit: 0, tunnelConnections: 2, streamWindowBytes: 5000, sessionWindowBytes: 9000 })).toEqual({
      connector: ['--max-concurrent-streams', '0', '--connections', '2', '--stream-window', '5000', '--session-window', '9000'],
    });
  });

  it('grpc-tunnel: connections always, the other knobs when given; the link stack to both processes', () => {
    expect(startArgs(system({ kind: 'grpc-tunnel' }), {})).toEqual({ connector: ['--connections', '1'], edge: [] });
    const full = system({
      kind: 'grpc-tunnel',
      tunnelConnections: 2,
      streamWindowBytes: 1000,
      sessionWindowBytes: 2000,
      chunkBytes: 512,
      originProtocol: 'http1',
      linkStack: 'grpc-js',
    });
    expect(startArgs(full, { tunnelConnections: 4, sessionWindowBytes: 3000 })).toEqual({
      connector: [
        '--connections',
        '4',
        '--stream-window',
        '1000',
        '--session-window',
        '3000',
        '--chunk-size',
        '512',
        '--origin-protocol',
        'http1',
        '--link-stack',
        'grpc-js',
      ],
      edge: ['--link-stack', 'grpc-js'],
    });
  });

  it('external: its URL, or its command', () => {
    expect(startArgs(system({ kind: 'external', protocol: 'http1', url: 'http://127.0.0.1:9/' }), {})).toEqual({ external: ['http://127.0.0.1:9/'] });
    expect(startArgs(system({ kind: 'external', protocol: 'tcp', command: ['./serve', '--port', '0'] }), {})).toEqual({ external: ['./serve', '--port', '0'] });
  });
});

describe('startKey: which points can share a running system', () => {
  const kinds: Record<string, Record<string, unknown>> = {
    'http-grpc': { kind: 'http-grpc' },
    origin: { kind: 'origin' },
    'h2-tunnel': { kind: 'h2-tunnel' },
    'grpc-tunnel': { kind: 'grpc-tunnel' },
    external: { kind: 'external', protocol: 'http2', url: 'http://127.0.0.1:9/' },
  };
  /** Axes that change what the load does, not how the system starts. */
  const LOAD_ONLY: Params = {
    concurrency: 200,
    ratePerSec: 1000,
    payloadBytes: 4096,
    delayMs: 5,
    clientConnections: 3,
    batchWindowMs: 2,
    'bulk.concurrency': 4,
  };

  it.each(Object.keys(kinds))('%s: equal params give equal keys; load-only axes leave the key alone', (kind) => {
    const s = system(kinds[kind]!);
    expect(startKey(s, { concurrency: 1 })).toBe(startKey(system(kinds[kind]!), { concurrency: 1 }));
    expect(startKey(s, LOAD_ONLY)).toBe(startKey(s, {}));
  });

  it.each([
    ['h2-tunnel', 'streamLimit', 10],
    ['h2-tunnel', 'streamLimit', 0],
    ['h2-tunnel', 'tunnelConnections', 2],
    ['h2-tunnel', 'streamWindowBytes', 1 << 20],
    ['h2-tunnel', 'sessionWindowBytes', 1 << 20],
    ['grpc-tunnel', 'tunnelConnections', 2],
    ['grpc-tunnel', 'streamWindowBytes', 1 << 20],
    ['grpc-tunnel', 'sessionWindowBytes', 1 << 20],
  ] as const)('%s: a swept %s of %i starts it differently: a new key', (kind, axis, value) => {
    const s = system(kinds[kind]!);
    expect(startKey(s, { [axis]: value })).not.toBe(startKey(s, {}));
    expect(startKey(s, { [axis]: value, concurrency: 9 })).toBe(startKey(s, { concurrency: 1, [axis]: value }));
  });

  it('a swept value equal to the system’s own is the same start: the same key', () => {
    const s = system({ kind: 'h2-tunnel' });
    expect(startKey(s, { streamLimit: 100, tunnelConnections: 1 })).toBe(startKey(s, {}));
  });

  it('the order params are given in does not matter', () => {
    const s = system({ kind: 'h2-tunnel' });
    expect(startKey(s, { streamLimit: 10, tunnelConnections: 2 })).toBe(startKey(s, { tunnelConnections: 2, streamLimit: 10 }));
  });

  it('two systems with the same command line but different ids never share', () => {
    const a = system({ kind: 'origin' });
    const b = { ...a, id: 'other' };
    expect(startKey(a, {})).not.toBe(startKey(b, {}));
  });
});

describe('engineSpecFor: HTTP/1.1 and HTTP/2', () => {
  const origin1 = system({ kind: 'origin', client: 'http1' });
  const origin2 = system({ kind: 'origin' }); // http2 by default

  it('echo: POST /echo with the payload as the body, expecting it back, to the origin’s http URL', () => {
    expect(engineSpecFor(origin1, target(ORIGIN_URLS), ECHO, {}, 37)).toEqual({
      protocol: 'http1',
      engine: 'default',
      url: ORIGIN_URLS.http,
      expectStatus: 200,
      connections: 37,
      method: 'POST',
      path: '/echo',
      bodyBytes: 64,
      expectBody: { kind: 'echo' },
    });
  });

  it('sized: GET /bytes/{n} without a body, expecting n bytes of the pattern; sleep: POST /delay/{ms} with the payload', () => {
    expect(engineSpecFor(origin2, target(ORIGIN_URLS), SIZED, {}, 1)).toMatchObject({
      method: 'GET',
      path: '/bytes/4096',
      bodyBytes: 0,
      expectBody: { kind: 'pattern', length: 4096 },
    });
    expect(engineSpecFor(origin2, target(ORIGIN_URLS), SLEEP, {}, 1)).toMatchObject({
      method: 'POST',
      path: '/delay/25',
      bodyBytes: 10,
      expectBody: { kind: 'echo' },
    });
  });

  it.each([
    [1, 1],
    [37, 37],
    [10_000, 10_000],
  ])('http1 at concurrency %i: %i connections (one request each)', (concurrency, connections) => {
    expect(engineSpecFor(origin1, target(ORIGIN_URLS), ECHO, {}, concurrency)).toMatchObject({ protocol: 'http1', connections });
  });

  it.each([
    [0, 1],
    [1, 1],
    [100, 1],
    [101, 2],
    [250, 3],
    [10_000, 100],
  ])('http2 at concurrency %i: %i connections (100 streams each)', (concurrency, connections) => {
    expect(engineSpecFor(origin2, target(ORIGIN_URLS), ECHO, {}, concurrency)).toMatchObject({ protocol: 'http2', connections });
  });

  it('connections: a swept clientConnections wins over the system’s, which wins over the default', () => {
    const s = system({ kind: 'origin', client: 'http1', clientConnections: 4 });
    expect(engineSpecFor(s, target(ORIGIN_URLS), ECHO, {}, 50)).toMatchObject({ connections: 4 });
    expect(engineSpecFor(s, target(ORIGIN_URLS), ECHO, { clientConnections: 9 }, 50)).toMatchObject({ connections: 9 });
  });

  it('the engine named by the system', () => {
    expect(engineSpecFor(system({ kind: 'origin', client: 'http1', engine: 'undici' }), target(ORIGIN_URLS), ECHO, {}, 1)).toMatchObject({ engine: 'undici' });
  });

  it('a tunnel: its public URL, else its http URL', () => {
    const t = system({ kind: 'h2-tunnel' });
    expect(engineSpecFor(t, target(TUNNEL_URLS), ECHO, {}, 1)).toMatchObject({ url: TUNNEL_URLS.public });
    expect(engineSpecFor(t, target({ http: 'http://127.0.0.1:2009' }), ECHO, {}, 1)).toMatchObject({ url: 'http://127.0.0.1:2009' });
  });

  it('external: the URL under its urlKey (else the first), and its own paths where it gives them', () => {
    const byUrl = system({
      kind: 'external',
      protocol: 'http1',
      url: 'http://127.0.0.1:9/',
      urlKey: 'api',
      paths: { sized: '/blob?n={n}', sleep: '/wait/{ms}/then' },
    });
    const t = target({ admin: 'http://127.0.0.1:1/', api: 'http://127.0.0.1:2/' });
    expect(engineSpecFor(byUrl, t, SIZED, {}, 1)).toMatchObject({ url: 'http://127.0.0.1:2/', path: '/blob?n=4096' });
    expect(engineSpecFor(byUrl, t, SLEEP, {}, 1)).toMatchObject({ path: '/wait/25/then' });
    expect(engineSpecFor(byUrl, t, ECHO, {}, 1)).toMatchObject({ path: '/echo' });
    expect(engineSpecFor(byUrl, target({ only: 'http://127.0.0.1:3/' }), ECHO, {}, 1)).toMatchObject({ url: 'http://127.0.0.1:3/' });
  });
});

describe('engineSpecFor: gRPC, WebSocket, TCP', () => {
  it('grpc: the origin’s grpc URL, a tunnel’s public one (else its grpc one); one connection unless told', () => {
    expect(engineSpecFor(system({ kind: 'origin', client: 'grpc' }), target(ORIGIN_URLS), ECHO, {}, 500)).toEqual({
      protocol: 'grpc',
      url: ORIGIN_URLS.grpc,
      payloadBytes: 64,
      connections: 1,
    });
    const t = system({ kind: 'grpc-tunnel', client: 'grpc' });
    expect(engineSpecFor(t, target(TUNNEL_URLS), ECHO, {}, 500)).toMatchObject({ url: TUNNEL_URLS.public, connections: 1 });
    expect(engineSpecFor(t, target({ grpc: 'http://127.0.0.1:2009' }), ECHO, { clientConnections: 3 }, 500)).toMatchObject({
      url: 'http://127.0.0.1:2009',
      connections: 3,
    });
  });

  it.each([
    [1, 1],
    [64, 64],
    [65, 64],
    [10_000, 64],
  ])('ws at concurrency %i: %i connections', (concurrency, connections) => {
    expect(engineSpecFor(system({ kind: 'origin', client: 'ws' }), target(ORIGIN_URLS), ECHO, {}, concurrency)).toEqual({
      protocol: 'ws',
      url: ORIGIN_URLS.ws,
      payloadBytes: 64,
      connections,
    });
  });

  it('ws through a tunnel: its public URL with http turned into ws (https into wss)', () => {
    const t = system({ kind: 'h2-tunnel', client: 'ws' });
    expect(engineSpecFor(t, target(TUNNEL_URLS), ECHO, {}, 1)).toMatchObject({ url: 'ws://127.0.0.1:2001' });
    expect(engineSpecFor(t, target({ public: 'https://edge.test/' }), ECHO, {}, 1)).toMatchObject({ url: 'wss://edge.test/' });
    expect(
      engineSpecFor(system({ kind: 'external', protocol: 'ws', url: 'http://127.0.0.1:9/' }), target({ http: 'http://127.0.0.1:9/' }), ECHO, {}, 1),
    ).toMatchObject({ url: 'ws://127.0.0.1:9/' });
  });

  it.each([
    [1, 1],
    [64, 64],
    [65, 64],
  ])('tcp at concurrency %i: %i connections, to the tcp URL of the origin or a tunnel', (concurrency, connections) => {
    expect(engineSpecFor(system({ kind: 'origin', client: 'tcp' }), target(ORIGIN_URLS), ECHO, {}, concurrency)).toEqual({
      protocol: 'tcp',
      url: ORIGIN_URLS.tcp,
      payloadBytes: 64,
      connections,
    });
    expect(engineSpecFor(system({ kind: 'h2-tunnel', client: 'tcp' }), target(TUNNEL_URLS), ECHO, {}, concurrency)).toEqual({
      protocol: 'tcp',
      url: TUNNEL_URLS.tcp,
      payloadBytes: 64,
      connections,
    });
  });

  it('tcp to an external system: the URL under its urlKey', () => {
    const e = system({ kind: 'external', protocol: 'tcp', command: ['x'], urlKey: 'tcp' });
    expect(engineSpecFor(e, target({ http: 'http://127.0.0.1:1/', tcp: 'tcp://127.0.0.1:2' }), ECHO, { clientConnections: 2 }, 100)).toEqual({
      protocol: 'tcp',
      url: 'tcp://127.0.0.1:2',
      payloadBytes: 64,
      connections: 2,
    });
  });
});

describe('engineSpecFor: http_grpc', () => {
  const urls = target({ http: 'http://127.0.0.1:3001/' });

  it('streaming (the default): calls appended to one open POST, no per-POST call limit, one connection', () => {
    expect(engineSpecFor(system({ kind: 'http-grpc' }), urls, ECHO, {}, 500)).toEqual({
      protocol: 'http-grpc',
      client: { url: 'http://127.0.0.1:3001/', transport: 'http1', batchWindowMs: 0, maxCallsPerBatch: 0, streamRequests: true, connections: 1 },
      funcId: FUNC.echo,
      argPrefix: [],
      payloadBytes: 64,
      expectBody: { kind: 'echo' },
    });
  });

  it(`compat: one POST per batch of at most ${CRATE_MAX_CALLS_PER_REQUEST} calls (the crate’s limit), 16 connections`, () => {
    expect(httpGrpcClient(engineSpecFor(system({ kind: 'http-grpc', mode: 'compat', transport: 'h2c', batchWindowMs: 3 }), urls, ECHO, {}, 500))).toEqual({
      url: 'http://127.0.0.1:3001/',
      transport: 'h2c',
      batchWindowMs: 3,
      maxCallsPerBatch: CRATE_MAX_CALLS_PER_REQUEST,
      streamRequests: false,
      connections: 16,
    });
  });

  it('streaming mode without streamed requests behaves as compat does; a given maxCallsPerBatch (0 too) wins', () => {
    expect(httpGrpcClient(engineSpecFor(system({ kind: 'http-grpc', streamRequests: false }), urls, ECHO, {}, 1))).toMatchObject({
      streamRequests: false,
      maxCallsPerBatch: 64,
      connections: 16,
    });
    expect(httpGrpcClient(engineSpecFor(system({ kind: 'http-grpc', maxCallsPerBatch: 8 }), urls, ECHO, {}, 1))).toMatchObject({
      streamRequests: true,
      maxCallsPerBatch: 8,
    });
    expect(httpGrpcClient(engineSpecFor(system({ kind: 'http-grpc', mode: 'compat', maxCallsPerBatch: 0 }), urls, ECHO, {}, 1))).toMatchObject({
      maxCallsPerBatch: 0,
    });
  });

  it('swept batchWindowMs and clientConnections win over the system’s', () => {
    const s = system({ kind: 'http-grpc', mode: 'compat', batchWindowMs: 3, clientConnections: 2 });
    expect(httpGrpcClient(engineSpecFor(s, urls, ECHO, {}, 1))).toMatchObject({ batchWindowMs: 3, connections: 2 });
    expect(httpGrpcClient(engineSpecFor(s, urls, ECHO, { batchWindowMs: 0, clientConnections: 5 }, 1))).toMatchObject({ batchWindowMs: 0, connections: 5 });
  });

  it('sized: the size as a varint argument, no payload, n bytes of the pattern back; sleep: the delay as a varint before the payload, echoed', () => {
    const s = system({ kind: 'http-grpc' });
    expect(engineSpecFor(s, urls, { call: 'sized', payloadBytes: 300, delayMs: 0 }, {}, 1)).toMatchObject({
      funcId: FUNC.sized,
      argPrefix: [0xac, 0x02], // 300 = 0b10_0101100: LEB128 0xac 0x02
      payloadBytes: 0,
      expectBody: { kind: 'pattern', length: 300 },
    });
    expect(engineSpecFor(s, urls, { call: 'sleep', payloadBytes: 10, delayMs: 200 }, {}, 1)).toMatchObject({
      funcId: FUNC.sleep,
      argPrefix: [0xc8, 0x01],
      payloadBytes: 10,
      expectBody: { kind: 'echo' },
    });
  });

  it('an external http_grpc server: the URL under its urlKey, HTTP/1.1, one POST per batch of 64, 16 connections', () => {
    const e = system({ kind: 'external', protocol: 'http-grpc', url: 'http://127.0.0.1:9/', urlKey: 'rpc' });
    expect(httpGrpcClient(engineSpecFor(e, target({ http: 'http://127.0.0.1:1/', rpc: 'http://127.0.0.1:2/' }), ECHO, { batchWindowMs: 4 }, 1))).toEqual({
      url: 'http://127.0.0.1:2/',
      transport: 'http1',
      batchWindowMs: 4,
      maxCallsPerBatch: CRATE_MAX_CALLS_PER_REQUEST,
      streamRequests: false,
      connections: 16,
    });
  });

  it('refuses a kind that has no http_grpc client, naming the system', () => {
    const wrong = { ...system({ kind: 'origin' }), client: 'http-grpc' } as unknown as SystemSpec;
    expect(() => engineSpecFor(wrong, target(ORIGIN_URLS), ECHO, {}, 1)).toThrow('s: no http-grpc client for kind origin');
  });
});

describe('loadModelOf', () => {
  it('a closed loop keeps its concurrency; an open loop its rate and its bound on calls in flight', () => {
    expect(loadModelOf({ model: 'closed', concurrency: 200 })).toEqual({ kind: 'closed', concurrency: 200 });
    expect(loadModelOf({ model: 'open', ratePerSec: 1500, maxInflight: 300 })).toEqual({ kind: 'open', ratePerSec: 1500, maxInflight: 300 });
  });
});

describe('loadPlansOf', () => {
  it('a scenario without groups: one plan, its swept values applied, the engine sized by them', () => {
    const s = parseScenario(
      {
        name: 'p',
        description: 'd',
        systems: [{ id: 'o', kind: 'origin', client: 'http1' }],
        load: { model: 'closed', concurrency: 1 },
        sweep: { concurrency: [5, 50] },
      },
      'x',
    );
    const points = expandPoints(s, false);
    const plans = points.map((p) => loadPlansOf(s, p, target(ORIGIN_URLS)));
    expect(plans.map((ps) => ps.map((l) => [l.id, l.model, 'connections' in l.spec ? l.spec.connections : null]))).toEqual([
      [['main', { kind: 'closed', concurrency: 5 }, 5]],
      [['main', { kind: 'closed', concurrency: 50 }, 50]],
    ]);
  });

  it('an open loop sizes the engine by its bound on calls in flight', () => {
    const s = parseScenario(
      { name: 'p', description: 'd', systems: [{ id: 'o', kind: 'origin' }], load: { model: 'open', ratePerSec: 100, maxInflight: 1000 } },
      'x',
    );
    const [plan] = loadPlansOf(s, expandPoints(s, false)[0]!, target(ORIGIN_URLS));
    expect(plan).toMatchObject({ model: { kind: 'open', ratePerSec: 100, maxInflight: 1000 }, spec: { protocol: 'http2', connections: 10 } });
  });

  it('load groups: the groups on at the point, primary first; an http_grpc system’s groups share one client', () => {
    const groups = [
      { id: 'small', load: { model: 'closed', concurrency: 200 } },
      { id: 'bulk', workload: { call: 'sized', payloadBytes: 1 << 20 }, load: { model: 'closed', concurrency: 4 }, sweep: { concurrency: [0, 4] } },
    ];
    const s = parseScenario(
      {
        name: 'p',
        description: 'd',
        systems: [
          { id: 'g', kind: 'http-grpc' },
          { id: 'o', kind: 'origin' },
        ],
        groups,
      },
      'x',
    );
    const points = expandPoints(s, false);
    const plans = (i: number, t: Target) => loadPlansOf(s, points[i]!, t);
    expect(points.map((p) => [p.system.id, p.params['bulk.concurrency']])).toEqual([
      ['g', 0],
      ['g', 4],
      ['o', 0],
      ['o', 4],
    ]);
    const grpcUrls = target({ http: 'http://127.0.0.1:3001/' });
    expect(plans(0, grpcUrls).map((l) => l.id)).toEqual(['small']);
    expect(plans(1, grpcUrls).map((l) => [l.id, l.spec.protocol === 'http-grpc' && l.spec.shareClient])).toEqual([
      ['small', true],
      ['bulk', true],
    ]);
    const http = plans(3, target(ORIGIN_URLS));
    expect(http.map((l) => l.id)).toEqual(['small', 'bulk']);
    expect(http.every((l) => !('shareClient' in l.spec))).toBe(true);
    expect(http[1]!.spec).toMatchObject({ method: 'GET', path: `/bytes/${1 << 20}` });
  });

  it('an http_grpc system without groups does not ask to share its client', () => {
    const s = parseScenario({ name: 'p', description: 'd', systems: [{ id: 'g', kind: 'http-grpc' }], load: LOAD }, 'x');
    const [plan] = loadPlansOf(s, expandPoints(s, false)[0]!, target({ http: 'http://127.0.0.1:3001/' }));
    expect('shareClient' in plan!.spec).toBe(false);
  });
});
