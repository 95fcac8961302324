/** `muxbench serve h2-edge` and `muxbench serve h2-connector`: argument parsing and usage. */
import { parseArgs } from 'node:util';
import { DEFAULT_HOST, intOption, UsageError } from '../serve.ts';
import { DEFAULT_INGRESS, parseIngressRule } from '../tunnel/ingress.ts';
import { parseOrigins } from '../tunnel/origins.ts';
import {
  DEFAULT_MAX_CONCURRENT_STREAMS,
  DEFAULT_MAX_SESSION_MEMORY_MB,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_QUEUE_TIMEOUT_MS,
  DEFAULT_SESSION_WINDOW_BYTES,
  DEFAULT_STREAM_WINDOW_BYTES,
} from './config.ts';
import type { H2ConnectorOptions } from './connector.ts';
import type { H2EdgeOptions } from './edge.ts';

const WINDOW_MAX = 2 ** 31 - 1; // RFC 9113 §6.9.1

export const H2_EDGE_USAGE = `muxbench serve h2-edge --token T [options]
  --token T                 secret a connector must present (required)
  --host H                  address for every listener (default ${DEFAULT_HOST})
  --port N                  public HTTP/1.1 + h2c + gRPC + WebSocket port, 0 = any (default 0)
  --tunnel-port N           where connectors dial (default 0)
  --tcp-port N              TCP port mapped through the tunnel (default 0)
  --queue-limit N           requests allowed to wait for a free stream before 503 (default ${DEFAULT_QUEUE_LIMIT})
  --queue-timeout-ms N      longest wait for a free stream before 503 (default ${DEFAULT_QUEUE_TIMEOUT_MS})`;

export function parseH2EdgeArgs(argv: string[]): H2EdgeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      token: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'tunnel-port': { type: 'string' },
      'tcp-port': { type: 'string' },
      'queue-limit': { type: 'string' },
      'queue-timeout-ms': { type: 'string' },
    },
  });
  if (!values.token) throw new UsageError('--token is required: connectors must present it');
  return {
    token: values.token,
    host: values.host ?? DEFAULT_HOST,
    port: intOption('port', values.port, 0, 0, 65535),
    tunnelPort: intOption('tunnel-port', values['tunnel-port'], 0, 0, 65535),
    tcpPort: intOption('tcp-port', values['tcp-port'], 0, 0, 65535),
    queueLimit: intOption('queue-limit', values['queue-limit'], DEFAULT_QUEUE_LIMIT),
    queueTimeoutMs: intOption('queue-timeout-ms', values['queue-timeout-ms'], DEFAULT_QUEUE_TIMEOUT_MS, 1),
  };
}

export const H2_CONNECTOR_USAGE = `muxbench serve h2-connector --edge URL --token T --origin SPEC [options]
  --edge URL                     the edge's tunnel URL (urls.tunnel in its ready line), e.g. tcp://127.0.0.1:4000
  --token T                      the edge's token
  --origin SPEC                  where to forward: the origin's ready line (JSON), or http=URL,grpc=URL,ws=URL,tcp=URL
  --ingress PREFIX=SERVICE       ingress rule, repeatable, first match wins; SERVICE: http|grpc|ws|tcp|auto|status:NNN
                                 (default: everything to the origin of its kind)
  --max-concurrent-streams N     streams per connection advertised to the edge, 0 = unlimited (default ${DEFAULT_MAX_CONCURRENT_STREAMS})
  --stream-window N              per-stream flow-control window, bytes (default ${DEFAULT_STREAM_WINDOW_BYTES})
  --session-window N             per-connection flow-control window, bytes (default ${DEFAULT_SESSION_WINDOW_BYTES})
  --max-session-memory N         node:http2 maxSessionMemory, MB (default ${DEFAULT_MAX_SESSION_MEMORY_MB})
  --connections N                tunnel connections to keep open (default 1; cloudflared opens 4)`;

export function parseH2ConnectorArgs(argv: string[]): H2ConnectorOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      edge: { type: 'string' },
      token: { type: 'string' },
      origin: { type: 'string' },
      ingress: { type: 'string', multiple: true },
      'max-concurrent-streams': { type: 'string' },
      'stream-window': { type: 'string' },
      'session-window': { type: 'string' },
      'max-session-memory': { type: 'string' },
      connections: { type: 'string' },
    },
  });
  if (!values.edge) throw new UsageError('--edge is required (the tunnel URL from the edge ready line)');
  if (!values.token) throw new UsageError('--token is required');
  if (!values.origin) throw new UsageError('--origin is required (the origin ready line, or http=URL,…)');
  let edge: URL;
  try {
    edge = new URL(values.edge);
  } catch {
    throw new UsageError(`--edge is not a URL: '${values.edge}'`);
  }
  if (!edge.port) throw new UsageError(`--edge must name a port, got '${values.edge}'`);
  return {
    edge,
    token: values.token,
    origins: parseOrigins(values.origin),
    ingress: values.ingress?.length ? values.ingress.map(parseIngressRule) : DEFAULT_INGRESS,
    maxConcurrentStreams: intOption('max-concurrent-streams', values['max-concurrent-streams'], DEFAULT_MAX_CONCURRENT_STREAMS, 0, 2 ** 32 - 1),
    streamWindowBytes: intOption('stream-window', values['stream-window'], DEFAULT_STREAM_WINDOW_BYTES, 0, WINDOW_MAX),
    sessionWindowBytes: intOption('session-window', values['session-window'], DEFAULT_SESSION_WINDOW_BYTES, 0, WINDOW_MAX),
    maxSessionMemoryMb: intOption('max-session-memory', values['max-session-memory'], DEFAULT_MAX_SESSION_MEMORY_MB, 1),
    connections: intOption('connections', values.connections, 1, 1, 64),
  };
}
