/**
 * The stream limit a point ran with, as the report reads it: recorded by the run (PointResult.streamLimit)
 * or, for results written before that, from the stored scenario definition.
 */
import { DEFAULT_STREAM_LIMIT, isUnlimited } from '../h2/stream-limit.ts';
import type { PointResult, ResultsFile } from '../measure/results.ts';

export interface StreamLimit {
  perConnection: number;
  connections: number;
  /** perConnection × connections; 0 = unlimited */
  total: number;
}

/**
 * The stream limit of an h2-tunnel point: advertised per tunnel connection, over its tunnel connections
 * (cloudflared's 4 carry 4 × the limit). null = not an h2 tunnel.
 */
export function streamLimitInfo(p: PointResult, results: ResultsFile): StreamLimit | null {
  const limit = p.streamLimit ?? legacyStreamLimit(p, results);
  if (!limit) return null;
  const perConnection = isUnlimited(limit.perConnection) ? 0 : limit.perConnection;
  return { perConnection, connections: limit.connections, total: perConnection * limit.connections };
}

/**
 * Results written before points recorded their stream limit: read from the stored scenario definition, where
 * the system field was called maxConcurrentStreams (default 100).
 */
function legacyStreamLimit(p: PointResult, results: ResultsFile): PointResult['streamLimit'] {
  if (p.systemKind !== 'h2-tunnel') return undefined;
  const def = results.scenario.definition as { systems?: unknown } | null;
  const systems = def && Array.isArray(def.systems) ? (def.systems as unknown[]) : [];
  const sys = systems.find((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && (s as { id?: unknown }).id === p.systemId);
  const stored = sys?.streamLimit ?? sys?.maxConcurrentStreams;
  const perConnection = p.params.streamLimit ?? (typeof stored === 'number' ? stored : DEFAULT_STREAM_LIMIT);
  const connections = p.params.tunnelConnections ?? (typeof sys?.tunnelConnections === 'number' ? sys.tunnelConnections : 1);
  return { perConnection, connections };
}

/**
 * The most streams an h2-tunnel point could have open at once, to hold against the calls in flight.
 * 0 = unlimited; null = not an h2 tunnel.
 */
export function streamLimitOf(p: PointResult, results: ResultsFile): number | null {
  return streamLimitInfo(p, results)?.total ?? null;
}
