/** The systems `muxbench serve <name>` can start, each with its usage text and its argument parser. */
import type { Running } from './serve.ts';
import { HTTP_GRPC_USAGE, parseHttpGrpcArgs, startHttpGrpcServer } from './http-grpc/system.ts';
import { ORIGIN_USAGE, parseOriginArgs, startOrigin } from './origin/system.ts';
import { startH2Connector } from './h2-tunnel/connector.ts';
import { startH2Edge } from './h2-tunnel/edge.ts';
import { H2_CONNECTOR_USAGE, H2_EDGE_USAGE, parseH2ConnectorArgs, parseH2EdgeArgs } from './h2-tunnel/system.ts';
import { NODE_HTTP2_USAGE, parseNodeHttp2Args, startNodeHttp2 } from './node-http2/system.ts';
import { startGrpcConnector } from './grpc-tunnel/connector.ts';
import { startGrpcEdge } from './grpc-tunnel/edge.ts';
import { GRPC_CONNECTOR_USAGE, GRPC_EDGE_USAGE, parseGrpcConnectorArgs, parseGrpcEdgeArgs } from './grpc-tunnel/system.ts';
import { parseRelayArgs, RELAY_USAGE, startRelay } from './relay/relay.ts';

export interface ServableSystem {
  summary: string;
  usage: string;
  /** Parses argv (throwing UsageError or parseArgs errors) and returns a starter. */
  prepare(argv: string[]): () => Promise<Running>;
}

export const SYSTEMS: Record<string, ServableSystem> = {
  'http-grpc': {
    summary: 'reference http_grpc server (many varint-framed calls in one POST)',
    usage: HTTP_GRPC_USAGE,
    prepare(argv) {
      const options = parseHttpGrpcArgs(argv);
      return () => startHttpGrpcServer(options);
    },
  },
  origin: {
    summary: 'origin services a tunnel forwards to: HTTP (h1 + h2c), gRPC, WebSocket and TCP echo',
    usage: ORIGIN_USAGE,
    prepare(argv) {
      const options = parseOriginArgs(argv);
      return () => startOrigin(options);
    },
  },
  'node-http2': {
    summary: "a plain node:http2 h2c server with the origin's routes (the node:http2 reference for muxbench attack)",
    usage: NODE_HTTP2_USAGE,
    prepare(argv) {
      const options = parseNodeHttp2Args(argv);
      return () => startNodeHttp2(options);
    },
  },
  'h2-edge': {
    summary: 'h2-stream tunnel edge (cloudflared model): public side + one HTTP/2 stream per request',
    usage: H2_EDGE_USAGE,
    prepare(argv) {
      const options = parseH2EdgeArgs(argv);
      return () => startH2Edge(options);
    },
  },
  'h2-connector': {
    summary: 'h2-stream tunnel connector: dials the edge, serves HTTP/2 on that connection, forwards to origins',
    usage: H2_CONNECTOR_USAGE,
    prepare(argv) {
      const options = parseH2ConnectorArgs(argv);
      return () => startH2Connector(options);
    },
  },
  'grpc-edge': {
    summary: 'grpc-stream tunnel edge: public side + every request as messages on one gRPC bidi stream',
    usage: GRPC_EDGE_USAGE,
    prepare(argv) {
      const options = parseGrpcEdgeArgs(argv);
      return () => startGrpcEdge(options);
    },
  },
  'grpc-connector': {
    summary: 'grpc-stream tunnel connector: dials the edge, calls Connect, forwards each request_id to origins',
    usage: GRPC_CONNECTOR_USAGE,
    prepare(argv) {
      const options = parseGrpcConnectorArgs(argv);
      return () => startGrpcConnector(options);
    },
  },
  relay: {
    summary: 'a TCP relay that shapes the leg it stands in: one-way delay, jitter, bandwidth per direction',
    usage: RELAY_USAGE,
    prepare(argv) {
      const options = parseRelayArgs(argv);
      return () => startRelay(options);
    },
  },
};
