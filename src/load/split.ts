/**
 * One point's load split over several load workers (processes, or pods on many machines): each worker gets
 * its share of the concurrency (closed loop) or of the rate (open loop), and of the connections.
 *
 * An open loop's rate r over N workers is N loops of r/N, worker i's arrivals shifted by i/r: worker i's
 * k-th arrival is due at anchor + (i + kN)/r, so the workers' schedules together are the one-worker
 * schedule, arrival for arrival. Each worker times its calls from their due times, so the coordinated-omission
 * correction holds for the whole, and merged histograms (measure/merge.ts) are the one loop's.
 *
 * Connections are a worker's own (a process cannot share a socket): each gets its share, at least one, so a
 * load of fewer connections than workers opens one per worker — `connectionsOf` says how many in all.
 */
import { MuxbenchError } from '../errors.ts';
import type { EngineSpec } from './engine.ts';
import type { LoadModel } from './types.ts';

/** A load that cannot be split as asked (more workers than calls in flight, an engine with its own workers). */
export class LoadSplitError extends MuxbenchError {
  override readonly name = 'LoadSplitError';
  readonly code = 'MUX_ERR_LOAD_SPLIT';
}

export interface LoadShare {
  spec: EngineSpec;
  model: LoadModel;
}

/** `total` in `parts` near-equal integer shares, larger first: 10 over 3 → 4, 3, 3. */
export function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Each worker's share of a window's request cap (undefined: no cap; 0 means none), each at least one. */
export function maxRequestsShares(maxRequests: number | undefined, workers: number): (number | undefined)[] {
  if (!maxRequests) return Array.from({ length: workers }, () => undefined);
  return shares(maxRequests, workers).map((n) => Math.max(1, n));
}

/** The connections a spec opens (http-grpc: its pool or sessions, default 1). */
export function connectionsOf(spec: EngineSpec): number {
  if (spec.protocol === 'http-grpc') return spec.client.connections ?? 1;
  return spec.connections;
}

function withConnections(spec: EngineSpec, n: number): EngineSpec {
  if (spec.protocol === 'http-grpc') return { ...spec, client: { ...spec.client, connections: n } };
  return { ...spec, connections: n };
}

/** The engine a spec runs ('default' for every protocol without a choice). */
export function engineOf(spec: EngineSpec): string {
  return spec.protocol === 'http1' || spec.protocol === 'http2' ? spec.engine : 'default';
}

/** Why `workers` workers cannot carry this load on `engine` (null: they can). */
export function splitProblem(model: LoadModel, workers: number, engine = 'default'): string | null {
  if (!Number.isInteger(workers) || workers < 1) return `loadWorkers must be a whole number ≥ 1, got ${workers}`;
  if (workers === 1) return null;
  if (engine === 'autocannon' || engine === 'h2load')
    return `the ${engine} engine runs whole trials on its own and cannot be split over load workers: use the default engine (or ${engine}'s own threads)`;
  if (model.kind === 'closed' && model.concurrency < workers)
    return `a concurrency of ${model.concurrency} cannot be split over ${workers} load workers: each needs at least one call in flight`;
  if (model.kind === 'open' && model.maxInflight < workers)
    return `maxInflight ${model.maxInflight} cannot be split over ${workers} load workers: each needs at least one`;
  return null;
}

/** Worker by worker, the share of the load each carries; throws LoadSplitError naming what is wrong. */
export function splitLoad(spec: EngineSpec, model: LoadModel, workers: number): LoadShare[] {
  const problem = splitProblem(model, workers, engineOf(spec));
  if (problem) throw new LoadSplitError(problem);
  if (workers === 1) return [{ spec, model }];
  const conns = shares(connectionsOf(spec), workers).map((c) => Math.max(1, c));
  if (model.kind === 'closed') {
    return shares(model.concurrency, workers).map((concurrency, i) => ({ spec: withConnections(spec, conns[i]!), model: { kind: 'closed', concurrency } }));
  }
  const inflight = shares(model.maxInflight, workers);
  return inflight.map((maxInflight, i) => ({
    spec: withConnections(spec, conns[i]!),
    model: { kind: 'open', ratePerSec: model.ratePerSec / workers, maxInflight, phase: i / workers },
  }));
}
