/**
 * The command-line options every tunnel design shares: an edge's listeners and token, a connector's
 * edge, token, origins, ingress rules and connection count. Each design adds its own knobs.
 */
import { choiceOption, DEFAULT_HOST, intOption, UsageError } from '../serve.ts';
import { DEFAULT_INGRESS, type IngressRule, parseIngressRule } from './ingress.ts';
import { ORIGIN_PROTOCOLS, type OriginProtocol } from './origin-forwarder.ts';
import { type Origins, parseOrigins } from './origins.ts';
import { parsePublicLimits, PUBLIC_LIMIT_ARG_OPTIONS, PUBLIC_LIMITS_USAGE, type PublicLimits } from './public-limits.ts';

export const EDGE_ARG_OPTIONS = {
  token: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'tunnel-port': { type: 'string' },
  'tcp-port': { type: 'string' },
  ...PUBLIC_LIMIT_ARG_OPTIONS,
} as const;

export function edgeUsage(system: string, tunnelPort: string): string {
  return `muxbench serve ${system} --token T [options]
  --token T                 secret a connector must present (required)
  --host H                  address for every listener (default ${DEFAULT_HOST})
  --port N                  public HTTP/1.1 + h2c + gRPC + WebSocket port, 0 = any (default 0)
  --tunnel-port N           ${tunnelPort} (default 0)
  --tcp-port N              TCP port mapped through the tunnel (default 0)
${PUBLIC_LIMITS_USAGE}`;
}

export interface EdgeArgs {
  token: string;
  host: string;
  port: number;
  tunnelPort: number;
  tcpPort: number;
  publicLimits: PublicLimits;
}

export function parseEdgeArgs(values: Partial<Record<keyof typeof EDGE_ARG_OPTIONS, string>>): EdgeArgs {
  if (!values.token) throw new UsageError('--token is required: connectors must present it');
  return {
    token: values.token,
    host: values.host ?? DEFAULT_HOST,
    port: intOption('port', values.port, 0, 0, 65535),
    tunnelPort: intOption('tunnel-port', values['tunnel-port'], 0, 0, 65535),
    tcpPort: intOption('tcp-port', values['tcp-port'], 0, 0, 65535),
    publicLimits: parsePublicLimits(values),
  };
}

export const CONNECTOR_ARG_OPTIONS = {
  edge: { type: 'string' },
  token: { type: 'string' },
  origin: { type: 'string' },
  ingress: { type: 'string', multiple: true },
  connections: { type: 'string' },
  'origin-protocol': { type: 'string' },
} as const;

export function connectorUsage(system: string, edgeExample: string, connections: string): string {
  return `muxbench serve ${system} --edge URL --token T --origin SPEC [options]
  --edge URL                the edge's tunnel URL (urls.tunnel in its ready line), e.g. ${edgeExample}
  --token T                 the edge's token
  --origin SPEC             where to forward: the origin's ready line (JSON), or http=URL,grpc=URL,ws=URL,tcp=URL
  --ingress PREFIX=SERVICE  ingress rule, repeatable, first match wins; SERVICE: http|grpc|ws|tcp|auto|status:NNN
                            (default: everything to the origin of its kind)
  --connections N           ${connections} (default 1)
  --origin-protocol P       http1 or h2c: how HTTP requests reach the HTTP origin (default http1, as cloudflared;
                            h2c multiplexes them on one connection)`;
}

export interface ConnectorArgs {
  edge: URL;
  token: string;
  origins: Origins;
  ingress: readonly IngressRule[];
  connections: number;
  originProtocol: OriginProtocol;
}

export function parseConnectorArgs(values: {
  edge?: string;
  token?: string;
  origin?: string;
  ingress?: string[];
  connections?: string;
  'origin-protocol'?: string;
}): ConnectorArgs {
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
    connections: intOption('connections', values.connections, 1, 1, 64),
    originProtocol: choiceOption('origin-protocol', values['origin-protocol'], ORIGIN_PROTOCOLS, 'http1'),
  };
}
