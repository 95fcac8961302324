/**
 * A tunnel's connections over 1, 2 or 4 connector processes (`connectorProcesses`), every process of the
 * system on the same cores (default core 0), h2load on another (core 1): requests/s and the CPU the
 * system's processes spend per request, at saturation (64 in flight) and paced below it (a fixed total
 * rate, h2load --rps), for the h2 tunnel (no stream limit) and the grpc tunnel, 4 tunnel connections.
 * On a core of their own each process adds capacity; crowded onto one core, they share it and their
 * batches shrink — the paced figures show whether the work per request itself changed.
 *
 *   node bin/run-ts.js bench/connector-processes.ts [--processes 1,2,4] [--designs h2,grpc] [--rate 3000]
 *        [--concurrency 64] [--duration-ms 5000] [--warmup-ms 5000] [--trials 3] [--system-cpu 0] [--load-cpu 1]
 */
import { parseArgs } from 'node:util';
import { startTunnelStack } from '../src/run/stacks.ts';
import { environment, h2loadClients, h2loadPoint, writeBenchResult } from './lib.ts';

const { values } = parseArgs({
  options: {
    processes: { type: 'string', default: '1,2,4' },
    designs: { type: 'string', default: 'h2,grpc' },
    rate: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '64' },
    'duration-ms': { type: 'string', default: '5000' },
    'warmup-ms': { type: 'string', default: '5000' },
    trials: { type: 'string', default: '3' },
    'system-cpu': { type: 'string', default: '0' },
    'load-cpu': { type: 'string', default: '1' },
  },
});
const TUNNEL_CONNECTIONS = 4;
const concurrency = Number(values.concurrency);
const rate = Number(values.rate);
const o = { trials: Number(values.trials), durationMs: Number(values['duration-ms']), warmupMs: Number(values['warmup-ms']), loadCpu: values['load-cpu'] };
const cpu = values['system-cpu'];

const rows = [];
for (const design of values.designs.split(',') as ('h2' | 'grpc')[]) {
  for (const processes of values.processes.split(',').map(Number)) {
    const stack = await startTunnelStack({
      design,
      connectorArgs: [...(design === 'h2' ? ['--max-concurrent-streams', '0'] : []), '--connections', String(TUNNEL_CONNECTIONS)],
      connectorProcesses: processes,
      cpus: { origin: cpu, edge: cpu, connector: cpu },
    });
    try {
      const url = `${stack.urls.public}/bytes/64`;
      const pids = Object.values(stack.processes).map((p) => p.pid);
      const label = `${design} tunnel, ${processes} connector process${processes > 1 ? 'es' : ''}`;
      const saturated = await h2loadPoint(label, url, pids, concurrency, o);
      const paced = await h2loadPoint(`${label}, paced at ${rate}/s`, url, pids, concurrency, { ...o, rpsPerClient: rate / h2loadClients(concurrency) });
      const usPerRequest = (p: typeof saturated) => Math.round(1e6 / p.medianRequestsPerCpuSecond);
      rows.push({
        design,
        connectorProcesses: processes,
        saturated: { requestsPerSec: saturated.medianRequestsPerSec, p99Us: saturated.medianP99Us, cpuUsPerRequest: usPerRequest(saturated) },
        paced: { requestsPerSec: paced.medianRequestsPerSec, p99Us: paced.medianP99Us, cpuUsPerRequest: usPerRequest(paced) },
        trials: { saturated: saturated.trials, paced: paced.trials },
      });
    } finally {
      await stack.stop();
    }
  }
}

writeBenchResult('connector-processes', {
  environment: environment({ systemCpu: cpu, loadCpu: o.loadCpu }),
  settings: { tunnelConnections: TUNNEL_CONNECTIONS, concurrency, pacedRate: rate, ...o },
  rows,
  note: 'Processes that share one core add no capacity: at saturation they time-slice it and each batch shrinks, so req/s falls and CPU per request rises; the paced rows, below saturation, show the work per request. A sweep over cores needs as many cores as processes (scenario sweep axes connectorProcesses and systemCores).',
});
