/** The systems `muxbench serve <name>` can start, each with its usage text and its argument parser. */
import type { Running } from './serve.ts';
import { HTTP_GRPC_USAGE, parseHttpGrpcArgs, startHttpGrpcServer } from './http-grpc/system.ts';
import { ORIGIN_USAGE, parseOriginArgs, startOrigin } from './origin/system.ts';

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
};
