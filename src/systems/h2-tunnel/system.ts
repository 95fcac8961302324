/** `muxbench serve h2-edge` and `muxbench serve h2-connector`: argument parsing and usage. */
import { parseArgs } from 'node:util';
import { DEFAULT_STREAM_LIMIT, UNLIMITED_ADVERTISED } from '../../h2/stream-limit.ts';
import { intOption } from '../serve.ts';
import { CONNECTOR_ARG_OPTIONS, connectorUsage, EDGE_ARG_OPTIONS, edgeUsage, parseConnectorArgs, parseEdgeArgs } from '../tunnel/args.ts';
import {
  DEFAULT_MAX_SESSION_MEMORY_MB,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_QUEUE_TIMEOUT_MS,
  DEFAULT_SESSION_WINDOW_BYTES,
  DEFAULT_STREAM_WINDOW_BYTES,
} from './config.ts';
import type { H2ConnectorOptions } from './connector.ts';
import type { H2EdgeOptions } from './edge.ts';

const WINDOW_MAX = 2 ** 31 - 1; // RFC 9113 §6.9.1

export const H2_EDGE_USAGE = `${edgeUsage('h2-edge', 'where connectors dial')}
  --queue-limit N           requests allowed to wait for a free stream before 503 (default ${DEFAULT_QUEUE_LIMIT})
  --queue-timeout-ms N      longest wait for a free stream before 503 (default ${DEFAULT_QUEUE_TIMEOUT_MS})`;

export function parseH2EdgeArgs(argv: string[]): H2EdgeOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { ...EDGE_ARG_OPTIONS, 'queue-limit': { type: 'string' }, 'queue-timeout-ms': { type: 'string' } },
  });
  return {
    ...parseEdgeArgs(values),
    queueLimit: intOption('queue-limit', values['queue-limit'], DEFAULT_QUEUE_LIMIT),
    queueTimeoutMs: intOption('queue-timeout-ms', values['queue-timeout-ms'], DEFAULT_QUEUE_TIMEOUT_MS, 1),
  };
}

export const H2_CONNECTOR_USAGE = `${connectorUsage('h2-connector', 'tcp://127.0.0.1:4000', 'tunnel connections to keep open; cloudflared opens 4')}
  --max-concurrent-streams N  streams per connection advertised to the edge, 0 = unlimited (default ${DEFAULT_STREAM_LIMIT})
  --stream-window N         per-stream flow-control window, bytes (default ${DEFAULT_STREAM_WINDOW_BYTES})
  --session-window N        per-connection flow-control window, bytes (default ${DEFAULT_SESSION_WINDOW_BYTES})
  --max-session-memory N    MB of received body a tunnel session may hold unread before it refuses new
                            streams with ENHANCE_YOUR_CALM, like node:http2's maxSessionMemory (default ${DEFAULT_MAX_SESSION_MEMORY_MB})`;

export function parseH2ConnectorArgs(argv: string[]): H2ConnectorOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      ...CONNECTOR_ARG_OPTIONS,
      'max-concurrent-streams': { type: 'string' },
      'stream-window': { type: 'string' },
      'session-window': { type: 'string' },
      'max-session-memory': { type: 'string' },
    },
  });
  return {
    ...parseConnectorArgs(values),
    maxConcurrentStreams: intOption('max-concurrent-streams', values['max-concurrent-streams'], DEFAULT_STREAM_LIMIT, 0, UNLIMITED_ADVERTISED),
    streamWindowBytes: intOption('stream-window', values['stream-window'], DEFAULT_STREAM_WINDOW_BYTES, 0, WINDOW_MAX),
    sessionWindowBytes: intOption('session-window', values['session-window'], DEFAULT_SESSION_WINDOW_BYTES, 0, WINDOW_MAX),
    maxSessionMemoryMb: intOption('max-session-memory', values['max-session-memory'], DEFAULT_MAX_SESSION_MEMORY_MB, 1),
  };
}
