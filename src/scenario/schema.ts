/**
 * What a scenario file may say, checked before anything starts. `defineScenario` only types the object;
 * `parseScenario` validates it (with defaults applied) and reports every problem with its field path.
 */
import { z } from 'zod';

/** The parameters a sweep can vary, and which system kinds each one means something to. */
export const AXES = {
  concurrency: 'closed-loop concurrency (requests in flight)',
  ratePerSec: 'open-loop arrival rate',
  payloadBytes: 'request/reply payload size',
  delayMs: 'handler delay at the server',
  streamLimit: 'h2 tunnel: max concurrent streams the connector advertises (0 = unlimited)',
  batchWindowMs: 'http_grpc client batch window',
  streamWindowBytes: 'tunnel flow-control window per stream',
  sessionWindowBytes: 'tunnel flow-control window per connection',
  tunnelConnections: 'tunnel connections per connector',
  clientConnections: 'connections the load engine opens',
} as const;
export type Axis = keyof typeof AXES;
const AXIS_NAMES = Object.keys(AXES) as [Axis, ...Axis[]];

const nonNegInt = z.number().int().nonnegative();
const posInt = z.number().int().positive();

const sweep = z
  .partialRecord(z.enum(AXIS_NAMES), z.array(z.number().nonnegative()).min(1, 'a sweep axis needs at least one value'))
  .optional();

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, dot, dash or underscore');
/** How the load engine talks to HTTP-speaking systems (tunnels, the origin, external servers). */
const client = z.enum(['http1', 'http2', 'grpc', 'ws', 'tcp']);
/** Engines that are not the default for their protocol: autocannon (HTTP/1.1 default), undici, h2load. */
const engine = z.enum(['default', 'undici', 'autocannon', 'h2load']).default('default');

const common = {
  id,
  label: z.string().optional(),
  sweep,
  clientConnections: posInt.optional(),
  engine,
};

const httpGrpc = z.strictObject({
  kind: z.literal('http-grpc'),
  ...common,
  mode: z.enum(['compat', 'streaming']).default('streaming'),
  transport: z.enum(['http1', 'h2c']).default('http1'),
  batchWindowMs: z.number().nonnegative().default(0),
  /** calls per POST (0 = unlimited); default: 64 in compat mode, unlimited when streaming requests */
  maxCallsPerBatch: nonNegInt.optional(),
  /** append calls to one open POST instead of one POST per batch (streaming mode only) */
  streamRequests: z.boolean().optional(),
  maxInflight: posInt.optional(),
});

const originProtocol = z.enum(['http1', 'h2c']);

const origin = z.strictObject({ kind: z.literal('origin'), ...common, client: client.default('http2') });

const h2Tunnel = z.strictObject({
  kind: z.literal('h2-tunnel'),
  ...common,
  client: client.default('http2'),
  maxConcurrentStreams: nonNegInt.default(100),
  streamWindowBytes: posInt.optional(),
  sessionWindowBytes: posInt.optional(),
  maxSessionMemoryMb: posInt.optional(),
  tunnelConnections: posInt.default(1),
  /** how the connector reaches the HTTP origin: http1 (cloudflared's default) or h2c (multiplexed) */
  originProtocol: originProtocol.optional(),
});

const grpcTunnel = z.strictObject({
  kind: z.literal('grpc-tunnel'),
  ...common,
  client: client.default('http2'),
  tunnelConnections: posInt.default(1),
  streamWindowBytes: posInt.optional(),
  sessionWindowBytes: posInt.optional(),
  chunkBytes: posInt.optional(),
  originProtocol: originProtocol.optional(),
  /** what carries the Connect call: raw (muxbench's HTTP/2 session, the processes' default) or grpc-js */
  linkStack: z.enum(['raw', 'grpc-js']).optional(),
});

const external = z
  .strictObject({
    kind: z.literal('external'),
    ...common,
    protocol: z.enum(['http1', 'http2', 'http-grpc', 'grpc', 'ws', 'tcp']),
    /** a running server to measure … */
    url: z.string().url().optional(),
    /** … or a command that starts one and prints a ready line ({"event":"ready","urls":{…}}) */
    command: z.array(z.string()).min(1).optional(),
    /** which entry of the ready line's urls to use */
    urlKey: z.string().default('http'),
    /** request paths for HTTP targets ({n} = payload bytes, {ms} = delay) */
    paths: z
      .strictObject({ echo: z.string().optional(), sized: z.string().optional(), sleep: z.string().optional() })
      .default({}),
  })
  .refine((s) => (s.url === undefined) !== (s.command === undefined), { message: 'give exactly one of url or command' });

export const systemSchema = z.discriminatedUnion('kind', [httpGrpc, origin, h2Tunnel, grpcTunnel, external]);
export type SystemSpec = z.infer<typeof systemSchema>;
export type SystemKind = SystemSpec['kind'];

const closed = z.strictObject({ model: z.literal('closed'), concurrency: posInt });
const open = z.strictObject({ model: z.literal('open'), ratePerSec: z.number().positive(), maxInflight: posInt.default(10_000) });

export const scenarioSchema = z.strictObject({
  name: id,
  description: z.string().min(1),
  systems: z.array(systemSchema).min(1),
  workload: z
    .strictObject({
      call: z.enum(['echo', 'sized', 'sleep']).default('echo'),
      payloadBytes: nonNegInt.default(64),
      delayMs: nonNegInt.default(0),
    })
    .default({ call: 'echo', payloadBytes: 64, delayMs: 0 }),
  load: z.discriminatedUnion('model', [closed, open]),
  /** the shortest warm-up: after it, warm-up goes on until throughput has settled (see steadyTolerance) */
  warmupMs: nonNegInt.default(1000),
  /** the longest warm-up: a point still unsettled here is measured but marked not-steady */
  maxWarmupMs: posInt.default(20_000),
  /** throughput has settled when three successive 500 ms blocks agree within this share of their mean */
  steadyTolerance: z.number().positive().max(1).default(0.1),
  durationMs: posInt.default(5000),
  /** stop each trial after this many requests (0 = none) */
  maxRequests: nonNegInt.default(0),
  trials: z.number().int().min(1).max(50).default(3),
  sweep,
  /** a shorter variant for QUICK runs */
  quick: z
    .strictObject({
      warmupMs: nonNegInt.optional(),
      maxWarmupMs: posInt.optional(),
      durationMs: posInt.optional(),
      trials: z.number().int().min(1).max(50).optional(),
      sweep,
    })
    .optional(),
});

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** Types a scenario file's default export; validation happens when the file is loaded. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
