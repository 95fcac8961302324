/**
 * `muxbench serve origin`: the services a tunnel forwards to, one process, each on its own port —
 * HTTP (HTTP/1.1 + h2c), gRPC, WebSocket echo and TCP echo.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_HOST, intOption, type Running } from '../serve.ts';
import { startGrpcEcho } from './grpc-echo.ts';
import { startOriginHttp } from './http.ts';
import { startTcpEcho } from './tcp.ts';
import { startWsEcho } from './ws.ts';

export interface OriginOptions {
  host: string;
  /** HTTP port; each port 0 = any free port. */
  port: number;
  grpcPort: number;
  wsPort: number;
  tcpPort: number;
}

/** Starts all four services; urls has http, grpc, ws and tcp. If one cannot listen, the others are closed again. */
export async function startOrigin(options: OriginOptions): Promise<Running> {
  const { host } = options;
  const started = await Promise.allSettled([
    startOriginHttp(host, options.port),
    startGrpcEcho(host, options.grpcPort),
    startWsEcho(host, options.wsPort),
    startTcpEcho(host, options.tcpPort),
  ]);
  const services = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const closeAll = async (): Promise<void> => {
    await Promise.all(services.map((s) => s.close()));
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await closeAll();
    throw failed.reason;
  }
  return { urls: Object.assign({}, ...services.map((s) => s.urls)) as Record<string, string>, close: closeAll };
}

export const ORIGIN_USAGE = `muxbench serve origin [options]
  --host H          address every service listens on (default ${DEFAULT_HOST})
  --port N          HTTP/1.1 + h2c port: /echo, /bytes/N, /delay/MS, /status/CODE (default 0 = any free port)
  --grpc-port N     gRPC muxbench.origin.Echo: Unary, ServerStream, Fail (default 0)
  --ws-port N       WebSocket echo (default 0)
  --tcp-port N      TCP echo (default 0)`;

export function parseOriginArgs(argv: string[]): OriginOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'grpc-port': { type: 'string' },
      'ws-port': { type: 'string' },
      'tcp-port': { type: 'string' },
    },
  });
  return {
    host: values.host ?? DEFAULT_HOST,
    port: intOption('port', values.port, 0, 0, 65535),
    grpcPort: intOption('grpc-port', values['grpc-port'], 0, 0, 65535),
    wsPort: intOption('ws-port', values['ws-port'], 0, 0, 65535),
    tcpPort: intOption('tcp-port', values['tcp-port'], 0, 0, 65535),
  };
}
