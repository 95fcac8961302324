/**
 * `muxbench k8s` (the manifests that run one scenario point's load from N pods) and `muxbench merge` (their
 * partial results as one results.json). Exit 0 done, 2 bad input (the partials wanting included).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { EXIT, parseCommandArgs, parseDurationMs, UsageError, usageErrorLine, wantsHelp } from '../cli/args.ts';
import { SCENARIO_OPTIONS, type ScenarioValues, scenarioOverrides } from '../cli/scenario-options.ts';
import { isMuxbenchError } from '../errors.ts';
import { MAX_START_AHEAD_MS } from '../load/plan.ts';

export const K8S_USAGE = `usage: muxbench k8s <scenario> --workers N --image IMAGE [options]

Writes the Kubernetes manifests that run one scenario point's load from N pods, for \`kubectl apply -f\`:
a ConfigMap with the worker plan and an Indexed Job of N pods (all at once, no retries, one worker each,
preferring distinct nodes, bounded in time). Every pod runs \`muxbench load-worker --plan\` — the entry point
local workers run — as worker JOB_COMPLETION_INDEX: its share of the load (concurrency or rate split as
--load-workers splits it), begun at one instant, its windows opened on one timeline. Each pod's partial
result is the last line of its log; \`muxbench merge\` makes them one results.json. The point's system must
be an external one (kind 'external'): its url, or --url, is what the pods load. Manifests are built with
kubernetes-models' types and validated against the Kubernetes schema before they are written.
  --workers N              pods, one load worker each (required, unless the scenario's loadWorkers says)
  --image IMAGE            an image with muxbench in /muxbench (docker build -t IMAGE . in this repository)
  --point I                which point of the scenario (muxbench k8s names them when there are several)
  --url URL                the target, over the system's own url
  --start-in DURATION      when the load begins, from now (default 2m: room to schedule pods and pull the
                           image; a pod that starts later begins late, and the merge says so)
  --name NAME              the Job's name (default muxbench-<scenario>), the ConfigMap's prefix
  --namespace NS           default: default
  --cpu QTY --memory QTY   what each pod asks for (default 1 and 512Mi); memory is also its limit, CPU is not
                           (a CPU limit throttles Node's GC and I/O threads in bursts: latency the target
                           would be blamed for)
  -o, --output FILE        write the manifests there (default: stdout)
  -c, -d, --trials, --warmup, --set, --system
                           change the scenario as \`muxbench scenario\` does
The steps on a cluster are in the README ("Many machines: Kubernetes").`;

export const MERGE_USAGE = `usage: muxbench merge <partial>... -o results.json

Merges the partial results of one plan's load workers (the files \`muxbench load-worker --plan … --out\`
wrote, or logs holding their {"event":"partial",…} lines, e.g. \`kubectl logs -l muxbench/plan=… --tail=-1\`)
into one results.json that report and compare (the CI gate on a baseline) read. Window k of every worker is merged
exactly (HDR histograms merged, counts added; generator-bound when any one worker was). Every worker of
the plan must be present once, with all its trials. Also writes the report beside it.
  -o, --output FILE        where results.json goes (required)
exit status: 0 merged; 2 bad input (missing workers, partials of different plans, unreadable files).`;

const DEFAULT_START_IN_MS = 120_000;

function fail(command: string, err: unknown): number {
  if (err instanceof UsageError || isMuxbenchError(err)) {
    process.stderr.write(usageErrorLine(command, err.message));
    return EXIT.usage;
  }
  throw err;
}

export async function k8sCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${K8S_USAGE}\n`);
    return EXIT.ok;
  }
  let yaml: string;
  let output: string | undefined;
  let summary: string;
  try {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...SCENARIO_OPTIONS,
        workers: { type: 'string' },
        image: { type: 'string' },
        point: { type: 'string' },
        url: { type: 'string' },
        'start-in': { type: 'string' },
        name: { type: 'string' },
        namespace: { type: 'string' },
        cpu: { type: 'string' },
        memory: { type: 'string' },
        output: { type: 'string', short: 'o' },
      },
    });
    if (positionals.length !== 1) throw new UsageError(`name one scenario (a name or a file.ts), got ${positionals.length}`);
    if (values.image === undefined || values.image.trim() === '')
      throw new UsageError('--image is required: an image with muxbench in /muxbench (see the README)');
    const point = values.point === undefined ? undefined : wholeNumber('--point', values.point, 0);
    const startInMs = values['start-in'] === undefined ? DEFAULT_START_IN_MS : parseDurationMs('--start-in', values['start-in']);
    if (startInMs > MAX_START_AHEAD_MS) throw new UsageError(`--start-in: at most a day (${values['start-in']} asked)`);
    const { loadScenario } = await import('../scenario/index.ts');
    const { scenario, file } = await loadScenario(positionals[0]!, scenarioOverrides(values as ScenarioValues));
    // --workers, or the scenario's loadWorkers (--load-workers) when it splits its load
    const workers = values.workers !== undefined || scenario.loadWorkers === 1 ? wholeNumber('--workers', values.workers, 1) : scenario.loadWorkers;
    const { planForPoint } = await import('./plan.ts');
    const { manifestsYaml, nameProblem, workerManifests } = await import('./manifests.ts');
    const now = Date.now();
    const plan = planForPoint(scenario, file, { point, url: values.url, workers, startAt: now + startInMs });
    const name =
      values.name ??
      `muxbench-${scenario.name}`
        .toLowerCase()
        .replace(/[^a-z0-9-]/g, '-')
        .slice(0, 52)
        .replace(/-+$/, '');
    const badName = nameProblem(name);
    if (badName) throw new UsageError(`--name: ${badName}`);
    const objects = workerManifests(plan, {
      name,
      namespace: values.namespace ?? 'default',
      image: values.image,
      cpu: values.cpu ?? '1',
      memory: values.memory ?? '512Mi',
      now,
    });
    yaml = manifestsYaml(objects);
    output = values.output;
    summary = [
      `${plan.point.label}: ${workers} workers against ${values.url ?? 'the scenario url'}, load begins ${new Date(plan.startAt).toISOString()}`,
      `then: kubectl apply -f ${output ?? 'FILE'}; kubectl wait --for=condition=complete job/${name} --timeout=${Math.ceil((plan.startAt - now) / 1000) + 600}s`,
      `      kubectl logs -l muxbench/plan=${plan.id} --tail=-1 --max-log-requests=${Math.max(5, workers)} > partials.log`,
      `      muxbench merge partials.log -o results.json`,
    ].join('\n');
  } catch (err) {
    return fail('k8s', err);
  }
  if (output) {
    writeFileSync(output, yaml);
    process.stderr.write(`manifests: ${resolve(output)}\n${summary}\n`);
  } else {
    process.stdout.write(yaml);
    process.stderr.write(`${summary}\n`);
  }
  return EXIT.ok;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${MERGE_USAGE}\n`);
    return EXIT.ok;
  }
  try {
    const { values, positionals } = parseCommandArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
    if (positionals.length === 0) throw new UsageError('name the partial results (files or logs) to merge');
    if (values.output === undefined) throw new UsageError('-o results.json is required');
    const { mergePartials, readPartials } = await import('../run/merge.ts');
    const { runId } = await import('../run/runner.ts');
    const results = mergePartials(positionals.flatMap(readPartials), runId());
    const { writeJsonAtomic } = await import('../run/persist.ts');
    writeJsonAtomic(values.output, results);
    const { writeRunReport } = await import('../report/index.ts');
    const html = writeRunReport(values.output);
    const p = results.points[0]!;
    process.stdout.write(
      `merged ${results.settings.loadWorkers} workers × ${results.settings.trials} trials: ${Math.round(p.summary!.requestsPerSec.median).toLocaleString('en-US')} req/s, p50 ${p.summary!.p50Us.median} µs, p99 ${p.summary!.p99Us.median} µs, ${p.status}${p.reason ? ` (${p.reason})` : ''}\nresults: ${resolve(values.output)}\nreport:  ${html}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return fail('merge', err);
  }
}

function wholeNumber(option: string, text: string | undefined, min: number): number {
  if (text === undefined) throw new UsageError(`${option} is required`);
  if (!/^\d+$/.test(text) || Number(text) < min) throw new UsageError(`${option} takes a whole number ≥ ${min}, got '${text}'`);
  return Number(text);
}
