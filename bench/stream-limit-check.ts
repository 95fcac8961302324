/**
 * Does the stream-limit scenario show the physics? For each advertised stream limit, the h2 tunnel is
 * driven by h2load — a client nobody here wrote — long enough to be warm (warm-up + a long window), at the
 * scenario's points (POST /delay/20 with a 64-byte body, 50 and 500 in flight), and the figures are set
 * beside Little's-law ceilings, min(in flight, limit) / 20 ms, and beside the latest quick and full runs of
 * `muxbench scenario stream-limit` (reports/stream-limit/…), so that a reader sees whether the scenario's
 * short trials measure what a long independent run measures.
 *
 *   node bin/run-ts.js bench/stream-limit-check.ts [--duration-ms 10000] [--warmup-ms 5000] [--quick FILE] [--full FILE]
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runH2load } from '../src/load/h2load.ts';
import type { ResultsFile } from '../src/measure/results.ts';
import { readResults } from '../src/report/read.ts';
import { startTunnelStack } from '../src/run/stacks.ts';
import { patternBytes } from '../src/wire/payload.ts';
import { environment, ROOT, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '5000' },
    quick: { type: 'string' },
    full: { type: 'string' },
  },
});
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
const LIMITS = [10, 100, 1000, 0];
const CONCURRENCY = [50, 500];
const DELAY_MS = 20;
const PAYLOAD_BYTES = 64;

/** The newest complete run of stream-limit of the given kind, or the file named. */
function run(kind: 'quick' | 'full', file: string | undefined): ResultsFile | null {
  if (file) return readResults(file);
  const dir = join(ROOT, 'reports', 'stream-limit');
  if (!existsSync(dir)) return null;
  for (const id of readdirSync(dir).sort().reverse()) {
    const path = join(dir, id, 'results.json');
    if (!existsSync(path)) continue;
    const r = readResults(path);
    if (r.status === 'complete' && r.quick === (kind === 'quick')) return r;
  }
  return null;
}

function scenarioRate(r: ResultsFile | null, limit: number, concurrency: number): number | null {
  const p = r?.points.find((q) => q.systemId === 'h2-tunnel' && q.params.streamLimit === limit && q.params.concurrency === concurrency);
  return p?.summary && p.status !== 'failed' ? Math.round(p.summary.requestsPerSec.median) : null;
}

const quick = run('quick', values.quick);
const full = run('full', values.full);
const body = join(mkdtempSync(join(tmpdir(), 'muxbench-slc-')), 'body');
writeFileSync(body, patternBytes(PAYLOAD_BYTES));

const rows = [];
for (const limit of LIMITS) {
  const stack = await startTunnelStack({
    design: 'h2',
    connectorArgs: ['--max-concurrent-streams', String(limit)],
    cpus: { origin: '0', edge: '0', connector: '0' },
  });
  try {
    for (const concurrency of CONCURRENCY) {
      const clients = Math.max(1, Math.ceil(concurrency / 100));
      const r = await runH2load({
        url: `${stack.urls.public}/delay/${DELAY_MS}`,
        clients,
        streamsPerClient: Math.ceil(concurrency / clients),
        durationMs,
        warmupMs,
        bodyFile: body,
        cpu: '1',
      });
      const slots = Math.min(concurrency, limit === 0 ? concurrency : limit);
      const ceiling = (slots / DELAY_MS) * 1000;
      const q = scenarioRate(quick, limit, concurrency);
      const f = scenarioRate(full, limit, concurrency);
      const long = Math.round(r.requestsPerSec);
      const row = {
        streamLimit: limit === 0 ? 'unlimited' : limit,
        concurrency,
        ceilingReqPerSec: ceiling,
        h2loadLongReqPerSec: long,
        h2loadShareOfCeiling: Math.round((long / ceiling) * 100) / 100,
        h2loadMeanLatencyMs: Math.round(r.latency.meanUs / 100) / 10,
        littleInflight: Math.round((long * r.latency.meanUs) / 1e6),
        quickReqPerSec: q,
        quickVsLong: q === null ? null : Math.round((q / long) * 100) / 100,
        fullReqPerSec: f,
        fullVsLong: f === null ? null : Math.round((f / long) * 100) / 100,
        failed: r.failed + r.errored + r.timeout,
      };
      rows.push(row);
      process.stderr.write(`${JSON.stringify(row)}\n`);
    }
  } finally {
    await stack.stop();
  }
}

writeBenchResult('stream-limit-check', {
  bench: 'stream-limit-check',
  environment: environment({ durationMs, warmupMs, quickRun: quick?.runId ?? null, fullRun: full?.runId ?? null }),
  path: `POST /delay/${DELAY_MS} (${PAYLOAD_BYTES} B body)`,
  results: rows,
});
