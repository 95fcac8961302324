/**
 * One serialisable description of "what to send where" (an EngineSpec), and the one function that turns
 * it into load: a Requester under our pacing, or autocannon / h2load running their own closed loops.
 * The load worker process receives an EngineSpec as JSON, so nothing here may hold a live object.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { patternBytes } from '../wire/payload.ts';
import type { HttpGrpcClientOptions } from '../clients/http-grpc/client.ts';
import type { HttpRequestSpec } from './http1.ts';
import { LoadLoop, type PacedResult } from './loop.ts';
import type { Expectation, LoadBudget, LoadModel, Requester } from './types.ts';

// Engines are imported when used: the load worker starts once per point, and loading every protocol's
// libraries (grpc-js, ws, autocannon, …) would add most of a second to each start.

/** What a reply must be, without bytes: the worker rebuilds them (payloads are the byte pattern). */
export type BodyCheck = { kind: 'echo' } | { kind: 'pattern'; length: number } | { kind: 'none' };

export type EngineSpec =
  | {
      protocol: 'http1' | 'http2';
      engine: 'default' | 'undici' | 'autocannon' | 'h2load';
      url: string;
      method: string;
      path: string;
      headers?: Record<string, string>;
      bodyBytes: number;
      expectStatus: number;
      expectBody: BodyCheck;
      connections: number;
    }
  | {
      protocol: 'http-grpc';
      client: HttpGrpcClientOptions;
      funcId: number;
      /** a varint prefix for the args (sized: N, sleep: ms), written before the payload */
      argPrefix: number[];
      payloadBytes: number;
      expectBody: BodyCheck;
      /** engines of one worker with equal client options share one client (the load groups of a point) */
      shareClient?: boolean;
    }
  | { protocol: 'grpc' | 'ws' | 'tcp'; url: string; payloadBytes: number; connections: number };

function expectation(status: number, check: BodyCheck, sent: Uint8Array): Expectation {
  if (check.kind === 'echo') return { status, body: { exact: sent } };
  if (check.kind === 'pattern') return { status, body: { patternLength: check.length } };
  return { status };
}

function httpSpec(spec: Extract<EngineSpec, { protocol: 'http1' | 'http2' }>): HttpRequestSpec {
  const body = spec.bodyBytes > 0 ? patternBytes(spec.bodyBytes) : undefined;
  return {
    url: spec.url,
    method: spec.method,
    path: spec.path,
    headers: { ...(body ? { 'content-type': 'application/octet-stream' } : {}), ...spec.headers },
    body,
    expect: expectation(spec.expectStatus, spec.expectBody, body ?? new Uint8Array()),
    connections: spec.connections,
  };
}

export async function createRequester(spec: EngineSpec, concurrency: number): Promise<Requester> {
  switch (spec.protocol) {
    case 'http1': {
      const { http1Requester } = await import('./http1.ts');
      return http1Requester(httpSpec(spec));
    }
    case 'http2': {
      const { h2Requester } = await import('./h2/requester.ts');
      const h = httpSpec(spec);
      return h2Requester({
        url: h.url,
        method: h.method,
        path: h.path,
        headers: h.headers,
        body: h.body,
        expect: h.expect,
        connections: spec.connections,
        streamsPerConnection: Math.max(1, Math.ceil(concurrency / spec.connections)),
      });
    }
    case 'http-grpc': {
      const { httpGrpcRequester } = await import('./http-grpc.ts');
      const payload = patternBytes(spec.payloadBytes);
      const args = spec.argPrefix.length ? Buffer.concat([Buffer.from(spec.argPrefix), payload]) : payload;
      return httpGrpcRequester({
        client: spec.client,
        funcId: spec.funcId,
        payload: args,
        expect: spec.expectBody.kind === 'echo' ? { exact: payload } : expectation(0, spec.expectBody, payload).body,
        shareClient: spec.shareClient,
      });
    }
    case 'grpc': {
      const { grpcRequester } = await import('./grpc.ts');
      return grpcRequester({ url: spec.url, payload: patternBytes(spec.payloadBytes), connections: spec.connections });
    }
    case 'ws': {
      const { wsRequester } = await import('./ws.ts');
      return wsRequester({ url: spec.url, payload: patternBytes(spec.payloadBytes), connections: spec.connections });
    }
    case 'tcp': {
      const { tcpRequester } = await import('./tcp.ts');
      return tcpRequester({ url: spec.url, payload: patternBytes(spec.payloadBytes), connections: spec.connections });
    }
  }
}

/**
 * A load ready to run: a LoadLoop over a Requester (warm-up until steady, trials while the load goes on),
 * or an engine with a closed loop of its own (autocannon, h2load) that can only run one whole trial —
 * its own fixed warm-up included — at a time.
 */
export type OpenedEngine =
  | { kind: 'loop'; loop: LoadLoop; close(): Promise<void> }
  | { kind: 'one-shot'; run(budget: LoadBudget): Promise<PacedResult>; close(): Promise<void> };

export async function openEngine(spec: EngineSpec, model: LoadModel, drainMs?: number): Promise<OpenedEngine> {
  const concurrency = model.kind === 'closed' ? model.concurrency : model.maxInflight;
  if (spec.protocol === 'http1' && spec.engine === 'autocannon') {
    // Opt-in: its loop is closed by construction (one request per connection), and it compares bodies as
    // UTF-8 text (see autocannon.ts), so the default HTTP/1.1 engine is undici, which compares bytes.
    if (model.kind !== 'closed') throw new Error('autocannon runs closed loops only');
    const { runAutocannon } = await import('./autocannon.ts');
    return { kind: 'one-shot', run: (budget) => runAutocannon({ ...httpSpec(spec), connections: model.concurrency }, budget), close: async () => {} };
  }
  if ((spec.protocol === 'http1' || spec.protocol === 'http2') && spec.engine === 'h2load') {
    if (model.kind !== 'closed') throw new Error('h2load runs closed loops only');
    return { kind: 'one-shot', run: (budget) => runH2loadEngine(spec, model.concurrency, budget), close: async () => {} };
  }
  const requester = await createRequester(spec, concurrency);
  const loop = new LoadLoop(requester, model, drainMs);
  return {
    kind: 'loop',
    loop,
    close: async () => {
      await loop.close();
      await requester.close();
    },
  };
}

async function runH2loadEngine(spec: Extract<EngineSpec, { protocol: 'http1' | 'http2' }>, concurrency: number, budget: LoadBudget): Promise<PacedResult> {
  const dir = mkdtempSync(join(tmpdir(), 'muxbench-body-'));
  try {
    let bodyFile: string | undefined;
    if (spec.bodyBytes > 0) {
      bodyFile = join(dir, 'body');
      writeFileSync(bodyFile, patternBytes(spec.bodyBytes));
    }
    const clients = spec.protocol === 'http1' ? concurrency : Math.min(spec.connections, concurrency);
    const { runH2load } = await import('./h2load.ts');
    const cpu0 = process.cpuUsage();
    const r = await runH2load({
      url: new URL(spec.path, spec.url).href,
      clients,
      streamsPerClient: spec.protocol === 'http1' ? 1 : Math.max(1, Math.ceil(concurrency / clients)),
      durationMs: budget.durationMs,
      warmupMs: budget.warmupMs,
      http1: spec.protocol === 'http1',
      bodyFile,
      headers: spec.headers,
    });
    const cpu = process.cpuUsage(cpu0);
    const bad = r.total - r.status2xx;
    return {
      requests: r.status2xx,
      // h2load reports status classes and failures, not bodies: bodies are unchecked with this engine.
      errors: bad > 0 ? { 'non-2xx-or-failed': bad } : {},
      dropped: 0,
      elapsedMs: budget.durationMs,
      requestsPerSec: r.requestsPerSec,
      bytesIn: 0,
      bytesOut: 0,
      latency: r.latency,
      histogram: r.histogram,
      abandoned: 0,
      // h2load is a separate process: its CPU is not ours; report ours (near zero) honestly.
      generatorCpu: (cpu.user + cpu.system) / 1000 / Math.max(1, budget.warmupMs + budget.durationMs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
