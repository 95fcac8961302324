/**
 * Closed-loop load over the http_grpc client: `concurrency` calls always in flight, each completion
 * checked against the expected reply and replaced by a new call, until the time or call budget is spent.
 * Latency counts from just before `send` to the reply callback, in µs; warm-up completions are not recorded.
 */
import { HttpGrpcClient, type HttpGrpcClientOptions } from '../systems/http-grpc/client.ts';
import { encodeHistogram, LatencyRecorder, type LatencySummary, summarize } from '../measure/histogram.ts';

export interface HttpGrpcLoadOptions {
  client: HttpGrpcClientOptions;
  funcId: number;
  payload: Uint8Array;
  /** The reply every call must return; default: the payload itself (echo). */
  expected?: Uint8Array;
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Upper bound on calls issued, whatever the duration (0 = none). */
  maxCalls?: number;
  /** How long to wait for calls still in flight at the deadline before giving up on them. */
  drainMs?: number;
}

export interface LoadResult {
  calls: number;
  errors: Record<string, number>;
  elapsedMs: number;
  callsPerSec: number;
  latency: LatencySummary;
  /** HDR histogram, compressed base64 */
  histogram: string;
  /** calls still unanswered when the drain time ran out */
  abandoned: number;
}

export async function runHttpGrpcClosedLoop(options: HttpGrpcLoadOptions): Promise<LoadResult> {
  const { funcId, payload, concurrency, warmupMs, durationMs } = options;
  if (!(concurrency >= 1)) throw new RangeError(`concurrency must be at least 1, got ${concurrency}`);
  const expected = options.expected ?? payload;
  const maxCalls = options.maxCalls ?? 0;
  const client = new HttpGrpcClient(options.client);
  const recorder = new LatencyRecorder();
  const errors: Record<string, number> = {};

  const start = performance.now();
  const measureFrom = start + warmupMs;
  const deadline = measureFrom + durationMs;
  let issued = 0;
  let inflight = 0;
  let completed = 0;
  let stopped = false;
  let onIdle: () => void = () => {};

  const issue = (): void => {
    issued++;
    inflight++;
    const sentAt = performance.now();
    client.send(funcId, payload, (err, reply) => {
      inflight--;
      const now = performance.now();
      if (now >= measureFrom && sentAt < deadline) {
        if (err) errors[err.code] = (errors[err.code] ?? 0) + 1;
        else if (Buffer.compare(reply!, expected) !== 0) errors.MUX_ERR_WRONG_REPLY = (errors.MUX_ERR_WRONG_REPLY ?? 0) + 1;
        else {
          recorder.record((now - sentAt) * 1000);
          completed++;
        }
      }
      if (!stopped && now < deadline && (maxCalls === 0 || issued < maxCalls)) issue();
      else if (inflight === 0) onIdle();
    });
  };

  for (let i = 0; i < concurrency && (maxCalls === 0 || issued < maxCalls); i++) issue();
  await new Promise<void>((resolve) => {
    onIdle = resolve;
    const drain = setTimeout(resolve, warmupMs + durationMs + (options.drainMs ?? 5000));
    drain.unref();
  });
  stopped = true;
  const end = Math.min(performance.now(), deadline);
  const abandoned = inflight;
  if (abandoned > 0) await client.destroy();
  else await client.close();

  const elapsedMs = Math.max(0, end - Math.max(start, measureFrom));
  const h = recorder.toHistogram();
  return {
    calls: completed,
    errors,
    elapsedMs,
    callsPerSec: elapsedMs > 0 ? completed / (elapsedMs / 1000) : 0,
    latency: summarize(h),
    histogram: encodeHistogram(h),
    abandoned,
  };
}
