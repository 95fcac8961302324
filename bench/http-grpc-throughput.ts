/**
 * http_grpc throughput: the reference server pinned to core 0, this process (the client) pinned to core 1,
 * tiny echo calls, closed loop, both server modes. Prints JSON: calls/s, p50/p99 latency and the CPU share
 * each side used — a server near 100 % is the server's limit; a client near 100 % means the generator was
 * the limit (reported as generatorBound).
 *
 *   node bin/run-ts.js bench/http-grpc-throughput.ts [--duration-ms 5000] [--warmup-ms 1000] [--trials 3]
 */
import { parseArgs } from 'node:util';
import { httpGrpcRequester } from '../src/load/http-grpc.ts';
import { runPaced } from '../src/load/pacing.ts';
import { cpuShare, sampleProcess } from '../src/measure/resources.ts';
import { pinSelf } from '../src/os/cpus.ts';
import { startSystem } from '../src/run/supervise.ts';
import { FUNC } from '../src/clients/http-grpc/builtins.ts';
import { environment, median, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '1000' },
    trials: { type: 'string', default: '3' },
    transport: { type: 'string', default: 'http1' },
  },
});
const durationMs = Number(values['duration-ms']);
const warmupMs = Number(values['warmup-ms']);
const trials = Number(values.trials);
const transport = values.transport === 'h2c' ? 'h2c' : 'http1';

const pinned = pinSelf('1');
const payload = Buffer.from('12345678'); // 8-byte echo: the frame overhead dominates, as intended

interface Config {
  mode: 'compat' | 'streaming';
  label: string;
  concurrency: number;
  client: { streamRequests: boolean; maxCallsPerBatch: number; connections: number };
}

const configs: Config[] = [
  // compat: the crate's limit of 64 calls per POST; many POSTs in flight over a pool of connections.
  { mode: 'compat', label: 'compat, 64 calls/POST', concurrency: 2048, client: { streamRequests: false, maxCallsPerBatch: 64, connections: 32 } },
  // streaming: one long POST per connection, calls appended as they are made.
  { mode: 'streaming', label: 'streaming, 1 open POST', concurrency: 2048, client: { streamRequests: true, maxCallsPerBatch: 0, connections: 1 } },
];

const results = [];
for (const cfg of configs) {
  const server = await startSystem('http-grpc', ['--port', '0', '--mode', cfg.mode, ...(transport === 'h2c' ? ['--http2'] : [])], { cpu: '0' });
  const runs = [];
  try {
    for (let t = 0; t < trials; t++) {
      const s0 = sampleProcess(server.pid);
      const requester = httpGrpcRequester({ client: { url: server.ready.urls.http!, transport, ...cfg.client }, funcId: FUNC.echo, payload });
      const r = await runPaced(requester, { kind: 'closed', concurrency: cfg.concurrency }, { warmupMs, durationMs });
      await requester.close();
      const s1 = sampleProcess(server.pid);
      const clientCpu = r.generatorCpu;
      const serverCpu = s0 && s1 ? cpuShare(s0, s1) : null;
      runs.push({
        callsPerSec: Math.round(r.requestsPerSec),
        p50Us: r.latency.p50Us,
        p99Us: r.latency.p99Us,
        maxUs: r.latency.maxUs,
        errors: r.errors,
        serverCpu: serverCpu === null ? null : Math.round(serverCpu * 100) / 100,
        clientCpu: Math.round(clientCpu * 100) / 100,
        generatorBound: clientCpu >= 0.9,
        serverRssMiB: s1 ? Math.round(s1.rssBytes / 2 ** 20) : null,
      });
      process.stderr.write(`${cfg.label}: trial ${t + 1}/${trials}: ${Math.round(r.requestsPerSec).toLocaleString('en-US')} calls/s\n`);
    }
  } finally {
    await server.stop();
  }
  results.push({
    system: 'http-grpc',
    mode: cfg.mode,
    label: cfg.label,
    transport,
    concurrency: cfg.concurrency,
    payloadBytes: payload.length,
    medianCallsPerSec: median(runs.map((r) => r.callsPerSec)),
    medianP50Us: median(runs.map((r) => r.p50Us)),
    medianP99Us: median(runs.map((r) => r.p99Us)),
    trials: runs,
  });
}

const out = { bench: 'http-grpc-throughput', environment: environment({ pinned }), durationMs, warmupMs, results };
writeBenchResult('http-grpc-throughput', out);
