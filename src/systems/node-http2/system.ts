/**
 * `muxbench serve node-http2`: a plain node:http2 h2c server (prior knowledge, node's default settings,
 * no HTTP/1.1 sniffing in front) with the origin's routes — /echo, /bytes/N, /delay/MS, /status/CODE.
 * It is the reference `muxbench attack` sets beside our own edge: what Node's bundled nghttp2 does with
 * the same abuse, on the same machine.
 */
import { createServer } from 'node:http2';
import { parseArgs } from 'node:util';
import { originRequestHandler } from '../origin/http.ts';
import { closeServer, DEFAULT_HOST, intOption, listen, type Running, trackConnections, urlFor } from '../serve.ts';

export interface NodeHttp2Options {
  host: string;
  port: number;
}

export const NODE_HTTP2_USAGE = `muxbench serve node-http2 [options]
  A plain node:http2 h2c server with node's default settings and the origin's routes
  (/echo, /bytes/N, /delay/MS, /status/CODE): the node:http2 reference for muxbench attack.
  --host H          address to listen on (default ${DEFAULT_HOST})
  --port N          h2c port (default 0 = any free port)`;

export function parseNodeHttp2Args(argv: string[]): NodeHttp2Options {
  const { values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { host: { type: 'string' }, port: { type: 'string' } } });
  return { host: values.host ?? DEFAULT_HOST, port: intOption('port', values.port, 0, 0, 65535) };
}

export async function startNodeHttp2(options: NodeHttp2Options): Promise<Running> {
  const server = trackConnections(createServer(originRequestHandler()));
  // A peer that breaks the protocol ends its own session; node reports it here, and the server serves on.
  server.on('sessionError', () => {});
  const port = await listen(server, options.host, options.port);
  return { urls: { http: urlFor('http', options.host, port) }, close: () => closeServer(server) };
}
