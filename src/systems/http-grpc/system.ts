/** `muxbench serve http-grpc`: the reference server on HTTP/1.1 or h2c. */
import { createServer as createHttp1Server } from 'node:http';
import { createServer as createH2cServer } from 'node:http2';
import { parseArgs } from 'node:util';
import { choiceOption, closeServer, DEFAULT_HOST, intOption, listen, type Running, trackConnections, urlFor } from '../serve.ts';
import { defaultServerOptions, type HttpGrpcServerOptions } from './config.ts';
import { httpGrpcRequestHandler, type HandlerTable } from './server.ts';
import { BUILTINS } from './functions.ts';

export interface HttpGrpcListenOptions extends HttpGrpcServerOptions {
  host: string;
  port: number;
  http2: boolean;
}

export async function startHttpGrpcServer(options: HttpGrpcListenOptions, table?: HandlerTable): Promise<Running> {
  const handler = httpGrpcRequestHandler(options, table ?? { functions: BUILTINS, onHandlerError: logHandlerError });
  const server = trackConnections(
    options.http2 ? createH2cServer({ maxSessionMemory: 64 }, handler) : createHttp1Server({ keepAliveTimeout: 60_000 }, handler),
  );
  const port = await listen(server, options.host, options.port);
  return {
    urls: { http: urlFor('http', options.host, port) },
    close: () => closeServer(server),
  };
}

let handlerErrors = 0;
function logHandlerError(err: unknown, funcId: number): void {
  // A crashing handler ends its call without a frame; say so on stderr, but not a million times.
  if (handlerErrors++ < 10) process.stderr.write(`http-grpc: function ${funcId} failed: ${String(err)}\n`);
}

export const HTTP_GRPC_USAGE = `muxbench serve http-grpc [options]
  --host H              address to listen on (default ${DEFAULT_HOST})
  --port N              port, 0 = any free port (default 0)
  --mode M              compat (the crate's behaviour, default) | streaming
  --http2               serve h2c (HTTP/2 without TLS) instead of HTTP/1.1
  --max-calls N         complete frames allowed per request, 0 = unlimited (default: compat 64, streaming 0)
  --max-inflight N      streaming: calls running at once per request before reading pauses (default 4096)
  --max-frame-bytes N   largest frame payload accepted (default 16 MiB)
  --max-body-bytes N    largest request body, 0 = unlimited (default: compat 64 MiB, streaming 0)`;

export function parseHttpGrpcArgs(argv: string[]): HttpGrpcListenOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      mode: { type: 'string' },
      http2: { type: 'boolean' },
      'max-calls': { type: 'string' },
      'max-inflight': { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'max-body-bytes': { type: 'string' },
    },
  });
  const mode = choiceOption('mode', values.mode, ['compat', 'streaming'] as const, 'compat');
  const d = defaultServerOptions(mode);
  return {
    host: values.host ?? DEFAULT_HOST,
    port: intOption('port', values.port, 0, 0, 65535),
    http2: values.http2 ?? false,
    mode,
    maxCalls: intOption('max-calls', values['max-calls'], d.maxCalls),
    maxInflight: intOption('max-inflight', values['max-inflight'], d.maxInflight, 1),
    maxPayloadBytes: intOption('max-frame-bytes', values['max-frame-bytes'], d.maxPayloadBytes, 0, 0xffff_ffff),
    maxBodyBytes: intOption('max-body-bytes', values['max-body-bytes'], d.maxBodyBytes),
  };
}
