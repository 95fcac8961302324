/**
 * What a scenario file may say, checked before anything starts. `defineScenario` only types the object;
 * `parseScenario` validates it (with defaults applied) and reports every problem with its field path.
 */
import { DEFAULT_STREAM_LIMIT } from '../h2/stream-limit.ts';
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
  tunnelConnections: 'tunnel connections (over all connector processes)',
  connectorProcesses: "tunnels: connector processes the tunnel connections are spread over (cloudflared's replicas)",
  systemCores: "cores the systems' processes may run on: the first N of the systems' CPU set",
  clientConnections: 'connections the load engine opens',
  clientRttMs: 'network: round trip added between the load and the system, ms',
  tunnelRttMs: "network: round trip added between a tunnel's edge and connector (http_grpc: between its client and server), ms",
  originRttMs: "network: round trip added between a tunnel's connector and the origin, ms",
  clientMbit: 'network: bandwidth each way between the load and the system, Mbit/s (0 = unlimited)',
  tunnelMbit: "network: bandwidth each way between a tunnel's edge and connector (http_grpc: client and server), Mbit/s (0 = unlimited)",
  originMbit: "network: bandwidth each way between a tunnel's connector and the origin, Mbit/s (0 = unlimited)",
} as const;
export type Axis = keyof typeof AXES;
const AXIS_NAMES = Object.keys(AXES) as [Axis, ...Axis[]];

const SYSTEM_KINDS = ['http-grpc', 'origin', 'h2-tunnel', 'grpc-tunnel', 'external'] as const satisfies readonly SystemKind[];
const TUNNELS: SystemKind[] = ['h2-tunnel', 'grpc-tunnel'];
/**
 * The systems with a link between their two halves: the tunnels (edge ↔ connector) and http_grpc, whose
 * POSTs are the link between its client (in the load process) and its server.
 */
const LINKED: SystemKind[] = [...TUNNELS, 'http-grpc'];

/** The legs a network condition can sit on, and which systems have each (src/scenario/network.ts). */
export const LEG_APPLIES = { client: SYSTEM_KINDS, tunnel: LINKED, origin: TUNNELS } as const satisfies Record<string, readonly SystemKind[]>;
export type Leg = keyof typeof LEG_APPLIES;

/** Which system kinds each axis means something to. */
export const AXIS_APPLIES: Record<Axis, readonly SystemKind[]> = {
  concurrency: SYSTEM_KINDS,
  ratePerSec: SYSTEM_KINDS,
  payloadBytes: SYSTEM_KINDS,
  delayMs: SYSTEM_KINDS,
  streamLimit: ['h2-tunnel'],
  batchWindowMs: ['http-grpc'],
  streamWindowBytes: TUNNELS,
  sessionWindowBytes: TUNNELS,
  tunnelConnections: TUNNELS,
  connectorProcesses: TUNNELS,
  systemCores: SYSTEM_KINDS,
  clientConnections: SYSTEM_KINDS,
  clientRttMs: LEG_APPLIES.client,
  tunnelRttMs: LEG_APPLIES.tunnel,
  originRttMs: LEG_APPLIES.origin,
  clientMbit: LEG_APPLIES.client,
  tunnelMbit: LEG_APPLIES.tunnel,
  originMbit: LEG_APPLIES.origin,
};

/** Whether an axis means something to every kind of system (a load axis), not only to some (a knob of theirs). */
export function appliesToAll(axis: Axis): boolean {
  return AXIS_APPLIES[axis] === SYSTEM_KINDS;
}

const nonNegInt = z.number().int().nonnegative();
const posInt = z.number().int().positive();

// Only numbers here: what each axis's values must be is checked once, with the axis named, in load.ts.
const sweepValues = z.array(z.number()).min(1, 'a sweep axis needs at least one value');
const sweep = z.partialRecord(z.enum(AXIS_NAMES), sweepValues).optional();

const id = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'use lower-case letters, digits, dot, dash or underscore');
/** How the load engine talks to HTTP-speaking systems (tunnels, the origin, external servers). */
const client = z.enum(['http1', 'http2', 'grpc', 'ws', 'tcp']);
/** Engines that are not the default for their protocol: autocannon (HTTP/1.1 default), undici, h2load. */
const engine = z.enum(['default', 'undici', 'autocannon', 'h2load']).default('default');

/** The axes a load group sweeps for itself: what its load does, not how the systems are started. */
export const GROUP_AXES = ['concurrency', 'ratePerSec', 'payloadBytes', 'delayMs'] as const satisfies readonly Axis[];
export type GroupAxis = (typeof GROUP_AXES)[number];

const groupSweep = z.partialRecord(z.enum(GROUP_AXES), sweepValues).optional();

/** Load groups' sweeps by group id: a QUICK run's (`quick.groups`) or one system's own (`systems[i].groups`). */
const groupSweeps = z.record(z.string(), groupSweep.unwrap()).optional();

const common = {
  id,
  label: z.string().optional(),
  sweep,
  /** this system's own sweeps of the load groups' axes, by group id, in place of the groups' (a design that cannot take 10,000 in flight) */
  groups: groupSweeps,
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

const MIB = 1024 * 1024;

/**
 * Named sets of h2-tunnel knobs, expanded when the scenario is validated (so the stored definition, and
 * the report, show the concrete values). A knob the entry gives itself wins over its preset's.
 */
export const H2_TUNNEL_PRESETS = {
  /**
   * cloudflared as shipped: 4 HA connections to the edge, no stream limit on the connector's side
   * (0 = unlimited: it advertises 2^32-1), and Go's x/net/http2 windows of 1 MiB per stream and connection.
   */
  cloudflared: { streamLimit: 0, tunnelConnections: 4, streamWindowBytes: MIB, sessionWindowBytes: MIB },
  /** the same, with the 100 concurrent streams per connection that Cloudflare's origin side defaults to */
  'limit-100': { streamLimit: 100, tunnelConnections: 4, streamWindowBytes: MIB, sessionWindowBytes: MIB },
} as const;
export type H2TunnelPreset = keyof typeof H2_TUNNEL_PRESETS;

const h2TunnelFields = {
  kind: z.literal('h2-tunnel'),
  ...common,
  client: client.default('http2'),
  /** a named set of the knobs below (see H2_TUNNEL_PRESETS) */
  preset: z.enum(Object.keys(H2_TUNNEL_PRESETS) as [H2TunnelPreset, ...H2TunnelPreset[]]).optional(),
  /**
   * SETTINGS_MAX_CONCURRENT_STREAMS the connector advertises per tunnel connection, 0 = unlimited; default
   * 100, the seed's number (src/h2/stream-limit.ts). Also a sweep axis of the same name.
   */
  streamLimit: nonNegInt.optional(),
  /** the field's old name: refused with a message naming the new one */
  maxConcurrentStreams: z.never({ error: 'renamed: the field is streamLimit now (the sweep axis of the same name)' }).optional(),
  streamWindowBytes: posInt.optional(),
  sessionWindowBytes: posInt.optional(),
  maxSessionMemoryMb: posInt.optional(),
  /** default 1 */
  tunnelConnections: posInt.optional(),
  /**
   * connector processes the tunnel connections are spread over (default 1; at most one per connection): each
   * its own process on the systems' cores, as cloudflared replicas are. Also a sweep axis.
   */
  connectorProcesses: posInt.optional(),
  /** how the connector reaches the HTTP origin: http1 (cloudflared's default) or h2c (multiplexed) */
  originProtocol: originProtocol.optional(),
};

const h2Tunnel = z.strictObject(h2TunnelFields).transform((s) => {
  const preset: Partial<(typeof H2_TUNNEL_PRESETS)[H2TunnelPreset]> = s.preset === undefined ? {} : H2_TUNNEL_PRESETS[s.preset];
  const filled = {
    ...s,
    streamLimit: s.streamLimit ?? preset.streamLimit ?? DEFAULT_STREAM_LIMIT,
    tunnelConnections: s.tunnelConnections ?? preset.tunnelConnections ?? 1,
    streamWindowBytes: s.streamWindowBytes ?? preset.streamWindowBytes,
    sessionWindowBytes: s.sessionWindowBytes ?? preset.sessionWindowBytes,
  };
  // In the fields' order, absent ones left out: a definition reads (and compares) as it did before presets.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(h2TunnelFields)) if (filled[k as keyof typeof filled] !== undefined) out[k] = filled[k as keyof typeof filled];
  return out as typeof filled;
});

const grpcTunnel = z.strictObject({
  kind: z.literal('grpc-tunnel'),
  ...common,
  client: client.default('http2'),
  tunnelConnections: posInt.default(1),
  /** connector processes the tunnel connections are spread over (default 1): see the h2 tunnel's */
  connectorProcesses: posInt.optional(),
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
    paths: z.strictObject({ echo: z.string().optional(), sized: z.string().optional(), sleep: z.string().optional() }).default({}),
  })
  .refine((s) => (s.url === undefined) !== (s.command === undefined), { message: 'give exactly one of url or command' });

export const systemSchema = z.discriminatedUnion('kind', [httpGrpc, origin, h2Tunnel, grpcTunnel, external]);
export type SystemSpec = z.infer<typeof systemSchema>;
export type SystemKind = SystemSpec['kind'];

const closed = z.strictObject({ model: z.literal('closed'), concurrency: posInt });
const open = z.strictObject({ model: z.literal('open'), ratePerSec: z.number().positive(), maxInflight: posInt.default(10_000) });

const workload = z.strictObject({
  call: z.enum(['echo', 'sized', 'sleep']).default('echo'),
  payloadBytes: nonNegInt.default(64),
  delayMs: nonNegInt.default(0),
});
const DEFAULT_WORKLOAD = { call: 'echo', payloadBytes: 64, delayMs: 0 } as const;
const load = z.discriminatedUnion('model', [closed, open]);

/**
 * One of several loads run together at a point against the same target (say 200 small calls while 4
 * clients pull large bodies), each with its own workload and load model and measured apart. The first
 * group is the point's primary: its figures are the point's. A group's own sweep values are recorded in
 * the point's params as `<group id>.<axis>`; a concurrency or rate of 0 there leaves the group out of that
 * point (small calls alone, then with the bulk transfers).
 */
const group = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lower-case letters, digits, dash or underscore (no dot: a group axis is named <id>.<axis>)'),
  label: z.string().optional(),
  workload: workload.default(DEFAULT_WORKLOAD),
  load,
  sweep: groupSweep,
});
export type LoadGroupSpec = z.output<typeof group>;

const claimBase = {
  /** anchor of the claim in the report */
  id,
  /** the claim, in the seed's words (translated where the seed is in Chinese) */
  claim: z.string().min(1),
  /** where the seed makes it */
  source: z.string().min(1),
};

/**
 * A claim of the seeds and how this scenario's points decide it; every kind names the systems (by id) it
 * compares and reads the primary group's figures at the points without secondary groups, unless it says
 * otherwise. The verdict is computed from the results when the report is drawn.
 */
export const claimSchema = z.discriminatedUnion('kind', [
  /** `limited` carries at most `limit` calls at once; the others are said to have no such bound */
  z.strictObject({ kind: z.literal('stream-limit'), ...claimBase, limited: id, limit: posInt, unlimited: z.array(id).min(1) }),
  /** the two systems are comparable in latency (p50 above the workload's own hold, at the lowest concurrency) or peak throughput */
  z.strictObject({
    kind: z.literal('comparable'),
    ...claimBase,
    metric: z.enum(['latency', 'throughput']),
    systems: z.tuple([id, id]),
    /** the larger over the smaller within this factor counts as comparable */
    within: z.number().min(1).default(1.25),
  }),
  /** `lower` needs less memory per request in flight than `higher` (RSS slope over concurrency, origin excluded) */
  z.strictObject({ kind: z.literal('memory'), ...claimBase, lower: id, higher: id, within: z.number().min(1).default(1.25) }),
  /** the primary group's p99 barely moves when `group` (say bulk transfers) runs beside it on the same systems */
  z.strictObject({ kind: z.literal('isolation'), ...claimBase, systems: z.array(id).min(1), group: id, within: z.number().min(1).default(1.5) }),
  /** many calls in one request carry more calls per second, or cost less CPU per call, than one call per request (at every concurrency both ran) */
  z.strictObject({ kind: z.literal('batching'), ...claimBase, batched: id, unbatched: id, within: z.number().min(1).default(1.25) }),
  /**
   * Bulk transfers through flow-control windows at a distance: each window's worth costs a round trip of the
   * tunnel leg, so a stream carries at most window / RTT (src/report/ceilings.ts). Holds when every point
   * of the systems with a round trip on their legs comes within `within` (a share) of its ceiling.
   */
  z.strictObject({ kind: z.literal('window-ceiling'), ...claimBase, systems: z.array(id).min(1), within: z.number().gt(0).lt(1).default(0.15) }),
  /**
   * Small calls at a distance: a stream limit caps throughput at limit / (RTT + service time), the time a
   * lone call takes at that distance; designs without a limit keep scaling with the calls in flight
   * (src/report/ceilings.ts). Needs two concurrencies (a lone one, a loaded one) at every distance.
   */
  z.strictObject({
    kind: z.literal('distance-ceiling'),
    ...claimBase,
    limited: id,
    unlimited: z.array(id).min(1),
    within: z.number().gt(0).lt(1).default(0.2),
  }),
]);
export type ClaimSpec = z.output<typeof claimSchema>;

/** The fields in which a claim names systems, in the order its messages list them. */
const CLAIM_SYSTEM_FIELDS = ['limited', 'unlimited', 'systems', 'lower', 'higher', 'batched', 'unbatched'] as const;

/** The systems a claim names, each with its field: [['limited', 'h2'], ['unlimited[0]', 'grpc']]. Reads claims not yet validated too. */
export function claimSystems(claim: object): [field: string, id: string][] {
  const out: [string, string][] = [];
  for (const field of CLAIM_SYSTEM_FIELDS) {
    const v = (claim as Record<string, unknown>)[field];
    if (typeof v === 'string') out.push([field, v]);
    else if (Array.isArray(v))
      v.forEach((id, j) => {
        if (typeof id === 'string') out.push([`${field}[${j}]`, id]);
      });
  }
  return out;
}

/**
 * Conditions on one leg of the path: a round trip split evenly between the two directions, jitter, and a
 * bandwidth limit per direction shared by the leg's connections — put there by a shaping relay
 * (src/systems/relay, the default) or by the kernel (`mechanism: 'kernel'`, src/run/kernel-legs.ts). Loss
 * only with the kernel's netem: a relay cannot lose packets honestly (TCP inside it would retransmit them).
 */
const leg = z.strictObject({
  /** round-trip time the leg adds, ms (half each way); also the axes clientRttMs, tunnelRttMs, originRttMs */
  rttMs: z.number().nonnegative().max(60_000).default(0),
  /** each chunk's one-way delay varies within ± jitterMs (never reordered) */
  jitterMs: z.number().nonnegative().max(60_000).default(0),
  /** bandwidth each way, Mbit/s, shared by the leg's connections; 0 = unlimited; also the axes clientMbit, … */
  mbit: z.number().nonnegative().max(1_000_000).default(0),
  /** bytes the relay holds per direction and connection before it pauses the sender (default 4 MiB) */
  bufferBytes: z
    .number()
    .int()
    .min(1024)
    .max(2 ** 30)
    .optional(),
  /** packets lost, % (each way), with mechanism 'kernel' only: netem drops them and TCP retransmits */
  lossPct: z.number().min(0).max(100).optional(),
});
export type LegSpec = z.output<typeof leg>;

/** What a QUICK run may set for itself; a field it leaves out is the scenario's. */
const quickFields = {
  warmupMs: nonNegInt.optional(),
  maxWarmupMs: posInt.optional(),
  durationMs: posInt.optional(),
  trials: z.number().int().min(1).max(50).optional(),
  sweep,
  /** load groups' own sweeps for QUICK runs, by group id (a group not named keeps its sweep) */
  groups: groupSweeps,
};
/** The settings a scenario and its quick variant both have (a command-line override of one holds in both). */
export const QUICK_SETTINGS = ['warmupMs', 'maxWarmupMs', 'durationMs', 'trials'] as const satisfies readonly (keyof typeof quickFields)[];

const cpuSet = z.string().regex(/^\d+(-\d+)?(,\d+(-\d+)?)*$/, 'a CPU set as taskset writes it: 0, 0-3, 0-3,6');

const scenarioFields = {
  name: id,
  description: z.string().min(1),
  systems: z.array(systemSchema).min(1),
  /** without groups: what every call does (default echo, 64 bytes) */
  workload: workload.optional(),
  /** without groups: the load model (required then) */
  load: load.optional(),
  /** instead of workload and load: several loads run together at every point, measured apart */
  groups: z.array(group).min(1, 'give at least one group, or use workload and load instead').optional(),
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
  /**
   * Load-worker processes that share each point's load (default 1; also `--load-workers N`): the concurrency,
   * or the rate, split between them (src/load/split.ts), worker i pinned to the i-th core of the load set,
   * their windows opened at one instant and merged exactly (src/load/merge.ts). A point is generator-bound
   * when any one worker was.
   */
  loadWorkers: z.number().int().min(1).max(256).default(1),
  sweep,
  /**
   * Network conditions on the legs of the path (src/scenario/network.ts): `client` (load ↔ system), `tunnel`
   * (edge ↔ connector; http_grpc: client ↔ server), `origin` (connector ↔ origin). A leg named here, or
   * swept (tunnelRttMs …), gets a shaping relay at every point, at 0 ms too.
   */
  network: z
    .strictObject({
      /**
       * what shapes the legs: 'relay' (default, a muxbench process per leg, anywhere), or 'kernel' (the run in
       * its own network namespace, loopback shaped with tc: htb for bandwidth, netem for delay, jitter and
       * loss where the kernel has netem; `muxbench scenario` only)
       */
      mechanism: z.enum(['relay', 'kernel']).default('relay'),
      client: leg.optional(),
      tunnel: leg.optional(),
      origin: leg.optional(),
    })
    .optional(),
  /**
   * The cores the systems' processes and the load run on, as taskset writes them ('0-3', '0,2'); default:
   * systems on core 0, load on core 1 (also `--cpus systems=0-3,load=4-7`). Checked against the machine
   * when the run starts.
   */
  cpus: z.strictObject({ systems: cpuSet.optional(), load: cpuSet.optional() }).optional(),
  /** a shorter variant for QUICK runs */
  quick: z.strictObject(quickFields).optional(),
  /**
   * Profile every point as `--profile` does: 'cpu', one more trial with every system process under V8's CPU
   * profiler; 'clinic', the system started afresh under clinic doctor, then clinic flame (src/run/clinic.ts)
   */
  profile: z.enum(['cpu', 'clinic']).optional(),
  /** claims of the seeds' comparison tables that this scenario's data decides (see src/report/claims.ts) */
  claims: z.array(claimSchema).optional(),
};

/** The top-level fields of a scenario file. */
export const SCENARIO_FIELDS = Object.keys(scenarioFields) as (keyof typeof scenarioFields)[];

type Fields = z.output<z.ZodObject<typeof scenarioFields>>;
export type Workload = z.output<typeof workload>;
export type LoadSpec = z.output<typeof load>;
type Common = Omit<Fields, 'workload' | 'load' | 'groups'>;
/** One load at every point (every scenario before groups). */
export type SingleLoadScenario = Common & { workload: Workload; load: LoadSpec; groups?: undefined };
/** Several load groups at every point. */
export type GroupsScenario = Common & { groups: LoadGroupSpec[]; workload?: undefined; load?: undefined };

export const scenarioSchema = z
  .strictObject(scenarioFields)
  .superRefine((s, ctx) => {
    if (s.groups !== undefined) {
      for (const k of ['workload', 'load'] as const) {
        if (s[k] !== undefined)
          ctx.addIssue({
            code: 'custom',
            path: [k],
            message: `not with groups: give either workload and load, or groups (each with its own workload and load)`,
          });
      }
      if (s.loadWorkers > 1)
        ctx.addIssue({
          code: 'custom',
          path: ['loadWorkers'],
          message: `${s.loadWorkers} load workers with groups: the groups of a point are driven together by one worker; give loadWorkers 1, or one load`,
        });
    } else if (s.load === undefined) ctx.addIssue({ code: 'custom', path: ['load'], message: 'required (a load model), unless the scenario gives groups' });
  })
  .transform((s): SingleLoadScenario | GroupsScenario => {
    // A scenario without groups gets the default workload, in its place: its definition reads as before groups.
    const filled: Record<string, unknown> = s.groups === undefined ? { ...s, workload: s.workload ?? DEFAULT_WORKLOAD } : s;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(scenarioFields)) if (filled[k] !== undefined) out[k] = filled[k];
    return out as SingleLoadScenario | GroupsScenario;
  });

export type ScenarioInput = z.input<typeof scenarioSchema>;
export type Scenario = z.output<typeof scenarioSchema>;

/** Types a scenario file's default export; validation happens when the file is loaded. */
export function defineScenario(scenario: ScenarioInput): ScenarioInput {
  return scenario;
}
