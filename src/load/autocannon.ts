/**
 * autocannon as the HTTP/1.1 closed-loop engine: `connections` connections, one request outstanding on
 * each. Latency is taken from its per-response event (hrtime, ms with a fraction) into our µs recorder —
 * autocannon's own histogram has only millisecond resolution.
 *
 * Every reply is checked with autocannon's verifyBody. autocannon hands bodies over as text decoded from
 * UTF-8 chunk by chunk, so the expected bytes are decoded the same way and compared as text: exact for
 * ASCII; for the byte pattern every byte ≥ 0x80 is invalid UTF-8 on its own and decodes to U+FFFD
 * whatever the chunking, so a wrong byte there is caught only if it changes the text. The undici engine
 * (open loop) compares raw bytes.
 */
import autocannon from 'autocannon';
import { encodeHistogram, LatencyRecorder, summarize } from '../measure/histogram.ts';
import { patternBytes } from '../wire/payload.ts';
import { headerBytes, type HttpRequestSpec } from './http1.ts';
import type { PacedResult } from './pacing.ts';
import type { LoadBudget } from './types.ts';

export async function runAutocannon(spec: HttpRequestSpec, budget: LoadBudget): Promise<PacedResult> {
  const recorder = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let ok = 0;
  let bytesIn = 0;
  let measuring = false;
  let measureStart = 0;
  let cpuStart: NodeJS.CpuUsage | null = null;
  const bump = (kind: string): void => {
    errors[kind] = (errors[kind] ?? 0) + 1;
  };
  const body = spec.body && spec.body.length > 0 ? Buffer.from(spec.body) : undefined;
  const expectedText = expectedBodyText(spec);
  let mismatches = 0;
  const instance = autocannon(
    {
      url: new URL(spec.path, spec.url).href,
      method: spec.method as 'GET',
      headers: spec.headers,
      body,
      connections: spec.connections,
      pipelining: 1,
      duration: (budget.warmupMs + budget.durationMs) / 1000,
      amount: budget.maxRequests || undefined,
      timeout: Math.ceil((spec.timeoutMs ?? 30_000) / 1000),
      ...(expectedText === undefined
        ? {}
        : {
            verifyBody: (text: string) => {
              const same = text === expectedText;
              if (!same && measuring) mismatches++;
              return same;
            },
          }),
    } as autocannon.Options,
    () => {},
  );
  const t0 = performance.now();
  const beginMeasuring = (): void => {
    measuring = true;
    measureStart = performance.now();
    cpuStart = process.cpuUsage();
  };
  // Without a warm-up the very first reply counts: start measuring now, not on the next timer tick.
  if (budget.warmupMs <= 0) beginMeasuring();
  const warmTimer = setTimeout(beginMeasuring, Math.max(0, budget.warmupMs));
  if (budget.warmupMs <= 0) clearTimeout(warmTimer);
  instance.on('response', (_client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => {
    if (!measuring) return;
    bytesIn += resBytes;
    if (statusCode === spec.expect.status) {
      ok++;
      recorder.record(responseTimeMs * 1000);
    } else {
      bump(`status-${statusCode}`);
    }
  });
  instance.on('reqError', (err: unknown) => {
    if (measuring) bump(errorName(err));
  });
  const result = await new Promise<autocannon.Result>((resolve) => instance.once('done', resolve));
  clearTimeout(warmTimer);
  const end = performance.now();
  if (!measuring) {
    measureStart = t0;
    cpuStart = process.cpuUsage();
  }
  const elapsedMs = end - measureStart;
  const cpu = process.cpuUsage(cpuStart ?? undefined);
  // A mismatch is reported after its 'response' event counted it: move it from ok to errors. (Its latency
  // stays in the histogram; with zero mismatches — the only acceptable outcome — that changes nothing.)
  const wrong = mismatches;
  if (wrong > 0) errors['wrong-body'] = wrong;
  ok = Math.max(0, ok - wrong);
  if (result.timeouts > 0) errors.timeout = (errors.timeout ?? 0) + result.timeouts;
  const h = recorder.toHistogram();
  return {
    requests: ok,
    errors,
    dropped: 0,
    elapsedMs,
    requestsPerSec: elapsedMs > 0 ? ok / (elapsedMs / 1000) : 0,
    bytesIn,
    bytesOut: (ok + wrong) * (headerBytes(spec) + (body?.length ?? 0)),
    latency: summarize(h),
    histogram: encodeHistogram(h),
    abandoned: 0,
    generatorCpu: (cpu.user + cpu.system) / 1000 / Math.max(1, elapsedMs),
  };
}

/** The text autocannon will build from the expected bytes, or undefined when bodies are not checked. */
function expectedBodyText(spec: HttpRequestSpec): string | undefined {
  const e = spec.expect.body;
  if (e === undefined) return undefined;
  const bytes = 'exact' in e ? e.exact : patternBytes(e.patternLength);
  // Decode byte by byte-run exactly as chunked decoding would for these bodies (see the note above).
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function errorName(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  return code ? code.toLowerCase() : 'error';
}
