/**
 * Ingress: which origin a tunnelled exchange goes to. As in cloudflared, rules are tried in order and the
 * first match wins; a rule can also answer with a fixed status. Without rules every exchange goes to the
 * origin of its kind (gRPC by content-type, WebSocket, TCP, else HTTP).
 */
import { UsageError } from '../serve.ts';
import type { OriginName } from './origins.ts';
import type { TunnelRequestHead } from './types.ts';

export type IngressService = OriginName | 'auto' | { status: number };

export interface IngressRule {
  /** '*' matches everything; otherwise a path prefix */
  pathPrefix: string;
  service: IngressService;
}

export type IngressDecision = { origin: OriginName } | { status: number; message: string };

export const DEFAULT_INGRESS: readonly IngressRule[] = [{ pathPrefix: '*', service: 'auto' }];

export function parseIngressRule(raw: string): IngressRule {
  const eq = raw.lastIndexOf('=');
  if (eq <= 0) throw new UsageError(`--ingress must look like PATH_PREFIX=SERVICE or *=SERVICE, got '${raw}'`);
  const pathPrefix = raw.slice(0, eq);
  const svc = raw.slice(eq + 1);
  if (pathPrefix !== '*' && !pathPrefix.startsWith('/')) throw new UsageError(`--ingress: the path prefix must start with / (or be *), got '${pathPrefix}'`);
  if (['http', 'grpc', 'ws', 'tcp', 'auto'].includes(svc)) return { pathPrefix, service: svc as OriginName | 'auto' };
  const m = /^status:(\d{3})$/.exec(svc);
  if (m) return { pathPrefix, service: { status: Number(m[1]) } };
  throw new UsageError(`--ingress: unknown service '${svc}' (expected http, grpc, ws, tcp, auto or status:NNN)`);
}

export function originByKind(head: TunnelRequestHead): OriginName {
  if (head.kind === 'websocket') return 'ws';
  if (head.kind === 'tcp') return 'tcp';
  const ct = head.headers['content-type'];
  return typeof ct === 'string' && ct.startsWith('application/grpc') ? 'grpc' : 'http';
}

export function decide(rules: readonly IngressRule[], head: TunnelRequestHead): IngressDecision {
  for (const rule of rules) {
    if (rule.pathPrefix !== '*' && !head.path.startsWith(rule.pathPrefix)) continue;
    const s = rule.service;
    if (typeof s === 'object') return { status: s.status, message: `refused by ingress rule ${rule.pathPrefix}=status:${s.status}` };
    return { origin: s === 'auto' ? originByKind(head) : s };
  }
  return { status: 404, message: `no ingress rule matches ${head.kind} ${head.path || '(tcp)'}` };
}
