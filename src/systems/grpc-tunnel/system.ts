/** `muxbench serve grpc-edge` and `muxbench serve grpc-connector`: argument parsing and usage. */
import { parseArgs } from 'node:util';
import { choiceOption, intOption, UsageError } from '../serve.ts';
import { CONNECTOR_ARG_OPTIONS, connectorUsage, EDGE_ARG_OPTIONS, edgeUsage, parseConnectorArgs, parseEdgeArgs } from '../tunnel/args.ts';
import {
  type ChannelWindows,
  DEFAULT_CHUNK_SIZE_BYTES,
  DEFAULT_LINK_STACK,
  DEFAULT_MAX_INFLIGHT_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SESSION_WINDOW_BYTES,
  DEFAULT_STREAM_WINDOW_BYTES,
  LINK_STACKS,
  type LinkKnobs,
  type LinkStackName,
  MESSAGE_OVERHEAD_BYTES,
  MIN_INFLIGHT_BYTES,
} from './config.ts';
import type { GrpcConnectorOptions } from './connector.ts';
import { DEFAULT_BATCH_BYTES, type GrpcEdgeOptions } from './edge.ts';

const WINDOW_MIN = 1024; // a window near 0 stalls the one stream every request shares
const WINDOW_MAX = 2 ** 31 - 1; // RFC 9113 §6.9.1
/** grpc-js takes message limits as signed 32-bit integers. */
const MESSAGE_MAX = 2 ** 31 - 1;
const MESSAGE_MIN = 4096;

const KNOB_USAGE = `  --link-stack S            what carries the Connect call: raw = muxbench's own HTTP/2 session (src/h2), the
                            stack the h2 tunnel runs on; grpc-js = @grpc/grpc-js over node:http2. The same
                            gRPC call on the wire; edge and connector must use the same one (the edge refuses
                            a connector on another stack by name) (default ${DEFAULT_LINK_STACK})
  --max-message-bytes N     largest gRPC message sent or accepted (grpc.max_{send,receive}_message_length;
                            the smaller of both sides' values is used) (default ${DEFAULT_MAX_MESSAGE_BYTES})
  --chunk-size N            body bytes per BodyChunk message (default ${DEFAULT_CHUNK_SIZE_BYTES})
  --max-inflight-bytes N    per-request credit: body bytes of one request this side buffers before the
                            peer must wait for a WindowUpdate (default ${DEFAULT_MAX_INFLIGHT_BYTES})
  --batch-bytes N           TunnelMessages per gRPC message, up to N bytes; 0 = one per gRPC message
                            (default ${DEFAULT_BATCH_BYTES})
  --stream-window N         HTTP/2 stream flow-control window this side grants on the tunnel connection, bytes
                            (default ${DEFAULT_STREAM_WINDOW_BYTES})
  --session-window N        HTTP/2 connection flow-control window this side grants, bytes (default ${DEFAULT_SESSION_WINDOW_BYTES})`;

const KNOB_OPTIONS = {
  'link-stack': { type: 'string' },
  'max-message-bytes': { type: 'string' },
  'chunk-size': { type: 'string' },
  'max-inflight-bytes': { type: 'string' },
  'batch-bytes': { type: 'string' },
  'stream-window': { type: 'string' },
  'session-window': { type: 'string' },
} as const;

type KnobValues = Partial<Record<keyof typeof KNOB_OPTIONS, string>>;

function parseKnobs(values: KnobValues): LinkKnobs & ChannelWindows & { batchBytes: number; linkStack: LinkStackName } {
  const maxMessageBytes = intOption('max-message-bytes', values['max-message-bytes'], DEFAULT_MAX_MESSAGE_BYTES, MESSAGE_MIN, MESSAGE_MAX);
  const chunkSizeBytes = intOption('chunk-size', values['chunk-size'], Math.min(DEFAULT_CHUNK_SIZE_BYTES, maxMessageBytes - MESSAGE_OVERHEAD_BYTES), 1);
  if (chunkSizeBytes + MESSAGE_OVERHEAD_BYTES > maxMessageBytes) {
    throw new UsageError(
      `--chunk-size ${chunkSizeBytes} does not fit in --max-message-bytes ${maxMessageBytes} with the ${MESSAGE_OVERHEAD_BYTES}-byte message envelope`,
    );
  }
  return {
    linkStack: choiceOption('link-stack', values['link-stack'], LINK_STACKS, DEFAULT_LINK_STACK),
    maxMessageBytes,
    chunkSizeBytes,
    maxInflightBytes: intOption('max-inflight-bytes', values['max-inflight-bytes'], DEFAULT_MAX_INFLIGHT_BYTES, MIN_INFLIGHT_BYTES, 2 ** 32 - 1),
    batchBytes: intOption('batch-bytes', values['batch-bytes'], DEFAULT_BATCH_BYTES, 0, MESSAGE_MAX),
    streamWindowBytes: intOption('stream-window', values['stream-window'], DEFAULT_STREAM_WINDOW_BYTES, WINDOW_MIN, WINDOW_MAX),
    sessionWindowBytes: intOption('session-window', values['session-window'], DEFAULT_SESSION_WINDOW_BYTES, WINDOW_MIN, WINDOW_MAX),
  };
}

export const GRPC_EDGE_USAGE = `${edgeUsage('grpc-edge', 'the gRPC port connectors call Connect on')}
${KNOB_USAGE}
  (raw: the edge's session grants both windows itself. grpc-js: its servers expose no window options, so the
   edge sets its windows on each HTTP/2 session of grpc-js's server itself)`;

export function parseGrpcEdgeArgs(argv: string[]): GrpcEdgeOptions {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...EDGE_ARG_OPTIONS, ...KNOB_OPTIONS } });
  return { ...parseEdgeArgs(values), ...parseKnobs(values) };
}

export const GRPC_CONNECTOR_USAGE = `${connectorUsage('grpc-connector', 'http://127.0.0.1:4000', 'tunnel connections (one connection and one Connect call each)')}
${KNOB_USAGE}
  (raw: both windows as given. grpc-js: 1.14 has one client window option, grpc-node.flow_control_window,
   which sets the stream and the connection window alike; the connector gives it the smaller of
   --stream-window and --session-window)`;

export function parseGrpcConnectorArgs(argv: string[]): GrpcConnectorOptions {
  const { values } = parseArgs({ args: argv, strict: true, options: { ...CONNECTOR_ARG_OPTIONS, ...KNOB_OPTIONS } });
  return { ...parseConnectorArgs(values), ...parseKnobs(values) };
}
