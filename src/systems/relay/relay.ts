/**
 * `muxbench serve relay`: a TCP relay that shapes the leg it stands in — one-way delay, jitter and bandwidth
 * per direction (src/systems/relay/link.ts), for measuring windows, stream limits and connection counts at
 * a distance on a machine whose kernel has no netem. Each accepted connection opens one to the target; an
 * error or a close on either side ends both, and no socket error escapes.
 */
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { closeServer, DEFAULT_HOST, intOption, listen, type Running, trackConnections, UsageError, urlFor } from '../serve.ts';
import { type LegShape, ShapedDirection } from './link.ts';

export interface RelayOptions {
  host: string;
  port: number;
  /** where connections go */
  target: { host: string; port: number };
  /** client → target */
  up: LegShape;
  /** target → client */
  down: LegShape;
}

export async function startRelay(o: RelayOptions): Promise<Running> {
  const server = createServer({ noDelay: true }, (client: Socket) => {
    const upstream = connect({ host: o.target.host, port: o.target.port, noDelay: true });
    const up = new ShapedDirection(client, upstream, o.up);
    const down = new ShapedDirection(upstream, client, o.down);
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
  const port = await listen(server, o.host, o.port);
  return { urls: { tcp: urlFor('tcp', o.host, port) }, close: () => closeServer(server) };
}

export const RELAY_USAGE = `muxbench serve relay --target HOST:PORT [options]
  --target HOST:PORT   where each connection is relayed to (required)
  --host H             address to listen on (default 127.0.0.1)
  --port N             port (default 0 = any free port)
  --delay-ms N         one-way delay each way, ms (default 0); --up-delay-ms / --down-delay-ms for one way
  --jitter-ms N        each chunk's delay varies within ± N ms, never reordered (default 0)
  --mbit N             bandwidth each way, Mbit/s (default 0 = unlimited); --up-mbit / --down-mbit for one way
  --buffer-bytes N     bytes held per direction before the sender is paused (default 4 MiB)
up = toward the target, down = back to the client.`;

export function parseRelayArgs(argv: string[]): RelayOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: Object.fromEntries(
      ['target', 'host', 'port', 'delay-ms', 'up-delay-ms', 'down-delay-ms', 'jitter-ms', 'mbit', 'up-mbit', 'down-mbit', 'buffer-bytes'].map((k) => [
        k,
        { type: 'string' as const },
      ]),
    ),
  });
  const v = values as Record<string, string | undefined>;
  const target = /^(.+):(\d+)$/.exec(v.target ?? '');
  if (!target) throw new UsageError(`--target must be HOST:PORT, got ${v.target === undefined ? 'nothing' : `'${v.target}'`}`);
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
    target: { host: target[1]!.replace(/^\[(.*)\]$/, '$1'), port: intOption('target port', target[2], 0, 1, 65535) },
    up: leg('up'),
    down: leg('down'),
  };
}
