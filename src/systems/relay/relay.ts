/**
 * `muxbench serve relay`: a TCP relay that shapes the leg it stands in — one-way delay, jitter and bandwidth
 * per direction (src/systems/relay/link.ts), for measuring windows, stream limits and connection counts at
 * a distance on a machine whose kernel has no netem. It listens once per target (a leg may carry several
 * services: an origin's HTTP, gRPC, WebSocket and TCP ports), and every connection on every listener shares
 * the leg's bandwidth. Each accepted connection opens one to its target; an error or a close on either side
 * ends both, and no socket error escapes.
 */
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { closeServer, DEFAULT_HOST, intOption, listen, type Running, trackConnections, UsageError, urlFor } from '../serve.ts';
import { type LegShape, ShapedDirection, type Wire } from './link.ts';

export interface RelayTarget {
  /** the key of its URL in the ready line (`tcp` for a target given without a name) */
  name: string;
  host: string;
  port: number;
}

export interface RelayOptions {
  host: string;
  /** the port of the first listener (0 = any free port); the others always take a free one */
  port: number;
  /** where connections go: one listener per target */
  targets: RelayTarget[];
  /** client → target */
  up: LegShape;
  /** target → client */
  down: LegShape;
}

export async function startRelay(o: RelayOptions): Promise<Running> {
  const wires: { up: Wire; down: Wire } = { up: { freeAt: 0 }, down: { freeAt: 0 } };
  const servers = o.targets.map((target) => relayServer(target, o, wires));
  const urls: Record<string, string> = {};
  try {
    for (const [i, server] of servers.entries()) urls[o.targets[i]!.name] = urlFor('tcp', o.host, await listen(server, o.host, i === 0 ? o.port : 0));
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s)));
    throw err;
  }
  return { urls, close: async () => void (await Promise.all(servers.map((s) => closeServer(s)))) };
}

function relayServer(target: RelayTarget, o: RelayOptions, wires: { up: Wire; down: Wire }): ReturnType<typeof createServer> {
  const server = createServer({ noDelay: true }, (client: Socket) => {
    const upstream = connect({ host: target.host, port: target.port, noDelay: true });
    const up = new ShapedDirection(client, upstream, o.up, wires.up);
    const down = new ShapedDirection(upstream, client, o.down, wires.down);
    const end = (): void => {
      up.close();
      down.close();
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  trackConnections(server);
  return server;
}

export const RELAY_USAGE = `muxbench serve relay --target [NAME=]HOST:PORT … [options]
  --target [NAME=]HOST:PORT
                       where connections are relayed to (required); repeat it for several services on
                       one leg: one listener each, named NAME in the ready line (default tcp)
  --host H             address to listen on (default 127.0.0.1)
  --port N             port (default 0 = any free port)
  --delay-ms N         one-way delay each way, ms (default 0); --up-delay-ms / --down-delay-ms for one way
  --jitter-ms N        each chunk's delay varies within ± N ms, never reordered (default 0)
  --mbit N             bandwidth each way, Mbit/s (default 0 = unlimited); --up-mbit / --down-mbit for one way
  --buffer-bytes N     bytes held per direction before the sender is paused (default 4 MiB)
up = toward the target, down = back to the client. The bandwidth is the leg's: its connections share it.`;

export function parseRelayArgs(argv: string[]): RelayOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      target: { type: 'string', multiple: true },
      ...Object.fromEntries(
        ['host', 'port', 'delay-ms', 'up-delay-ms', 'down-delay-ms', 'jitter-ms', 'mbit', 'up-mbit', 'down-mbit', 'buffer-bytes'].map((k) => [
          k,
          { type: 'string' as const },
        ]),
      ),
    },
  });
  const { target: targetArgs = [], ...rest } = values as { target?: string[] } & Record<string, string | undefined>;
  const v = rest as Record<string, string | undefined>;
  if (targetArgs.length === 0) throw new UsageError('--target must be HOST:PORT, got nothing');
  const targets = targetArgs.map(parseTarget);
  const names = targets.map((t) => t.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new UsageError(`--target: the name '${twice}' is given twice (name each target: --target http=HOST:PORT)`);
  const number = (name: string, fallback: number): number => {
    const raw = v[name];
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1e6) throw new UsageError(`--${name} must be a number from 0 to 1000000, got '${raw}'`);
    return n;
  };
  const delay = number('delay-ms', 0);
  const mbit = number('mbit', 0);
  const leg = (dir: 'up' | 'down'): LegShape => ({
    delayMs: number(`${dir}-delay-ms`, delay),
    jitterMs: number('jitter-ms', 0),
    bitsPerSec: number(`${dir}-mbit`, mbit) * 1e6,
    bufferBytes: intOption('buffer-bytes', v['buffer-bytes'], 4 * 1024 * 1024, 1024, 2 ** 30),
  });
  return {
    host: v.host ?? DEFAULT_HOST,
    port: intOption('port', v.port, 0, 0, 65535),
    targets,
    up: leg('up'),
    down: leg('down'),
  };
}

/** `[NAME=]HOST:PORT`, HOST maybe an [IPv6] literal. */
function parseTarget(raw: string): RelayTarget {
  const m = /^(?:([a-z][a-z0-9._-]*)=)?(.+):(\d+)$/i.exec(raw);
  if (!m) throw new UsageError(`--target must be [NAME=]HOST:PORT, got '${raw}'`);
  return { name: m[1] ?? 'tcp', host: m[2]!.replace(/^\[(.*)\]$/, '$1'), port: intOption('target port', m[3], 0, 1, 65535) };
}
