/** The `muxbench` command. Each subcommand returns its exit code; errors are printed, never thrown raw. */
import { readFileSync } from 'node:fs';
import { asUsageError, EXIT, parseCommandArgs, parseCpusOption, usageErrorLine, UsageError, wantsHelp } from './cli/args.ts';
import { onInterrupt } from './cli/interrupt.ts';
import { SCENARIO_OPTIONS, type ScenarioValues, scenarioOverrides } from './cli/scenario-options.ts';
import type { ScenarioOverrides } from './measure/results.ts';
import { serveUntilSignalled } from './systems/serve.ts';

// The systems (and their libraries) load only for the commands that need them: the load worker starts
// once per trial and must start fast.
const systems = async () => (await import('./systems/registry.ts')).SYSTEMS;

function version(): string {
  return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const systemList = async (): Promise<string> =>
  Object.entries(await systems())
    .map(([name, s]) => `  ${name.padEnd(14)} ${s.summary}`)
    .join('\n');

const usage = async (): Promise<string> => `usage: muxbench <command> [options]      (muxbench <command> --help: its options)

commands:
  scenario <name|file.ts> [--quick] [--profile[=cpu|clinic]] [-c N,N] [-d 10s] [--set KEY=V,V] [--system ID] [--json]
                             run a scenario; results in reports/<scenario>/<run-id>/results.json
  list                       the scenarios in scenarios/
  report <results.json>      (re)render a run's report: index.html beside results.json
  compare <baseline.json> <current.json> [--html out.html] [--min-effect 0.1] [--alpha 0.1]
                             compare two runs of one scenario; exit 1 on a significant regression
  gate [--base REF] [--scenario NAME]... [--candidate-env K=V]...
                             is this working tree slower than REF? both measured here, interleaved;
                             exit 0 no regression, 1 regression, 2 could not decide
  index [--reports-dir DIR]  write reports/index.html: every run, latest vs previous per scenario
  serve <system> [options]   start one system under test; prints a JSON ready line, stops on SIGTERM
                             or when the process that started it exits
  attack <target>... [--patterns a,b] [--list] [--plan NAME]
                             run the HTTP/2 abuse patterns (floods, rapid reset, CONTINUATION, HPACK bomb,
                             slowloris, …) against h2c URLs or h2-edge / node-http2 / nghttpx / nghttpd
                             while a well-behaved load runs; results in reports/attack/<run-id>/
  k8s <scenario> --workers N --image IMAGE [--point I] [--url URL] [-o FILE]
                             Kubernetes manifests (an Indexed Job) that load one point's external target
                             from N pods; \`muxbench merge\` makes their partial results one results.json
  merge <partial>... -o results.json
                             load workers' partial results (files or kubectl logs) as one run
  help [command|system]      this text, or a command's (a system's) options; also <command> -h, --help

options:
  -h, --help                 this text
  -V, --version              muxbench's version

exit status: 0 success; 1 the run found a failure (a point failed, a pattern was not held, a regression);
2 bad options or input, nothing run; 130 / 143 stopped by SIGINT / SIGTERM (scenario, attack) with the
results so far kept. The gate: 0 no regression, 1 regression, 2 could not decide.

systems (muxbench serve <system> --help):
${await systemList()}`;

const serveUsage = async (): Promise<string> => `usage: muxbench serve <system> [options]      (muxbench serve <system> --help: its options)

Starts one system under test, listening on 127.0.0.1 (port 0: any free port), prints one JSON line when it
is ready — {"event":"ready","system":…,"urls":{…}} — and serves until SIGTERM or SIGINT, or until the
process that started it exits (checked every 0.5 s: \`npx muxbench serve …\` stopped by npx's pid, which
does not pass the signal on, stops the server too). Then it closes its connections and exits.

systems:
${await systemList()}

exit status: 0 stopped cleanly; 1 could not start (a port in use, …); 2 bad options.`;

const LIST_USAGE = `usage: muxbench list

Lists the scenarios in scenarios/ (run one with muxbench scenario <name>) with what each measures; a file
that does not validate is listed with its problems.`;

const SCENARIO_USAGE = `usage: muxbench scenario <name|file.ts> [options]

Runs a scenario from scenarios/ (by name) or a file: every point warmed until steady, then its trials;
results.json and a self-contained index.html in reports/<scenario>/<run-id>/ (written after every point,
so Ctrl-C keeps what was measured). Progress goes to stderr, the summary to stdout.

options:
  --quick                  the scenario's short variant (also QUICK=1)
  -c, --concurrency N[,N…] requests in flight (closed loop), swept over the values given; with load
                           groups, the first group's
  -d, --duration TIME      each trial's length: 500ms, 10s, 2m (a bare number is seconds)
  --trials N               trials per point
  --warmup TIME            the shortest warm-up; it goes on until throughput settles (at most maxWarmupMs)
  --system ID[,ID…]        run only these systems (repeatable); claims about the others are left out
  --set KEY=V[,V…]         set a sweep axis or a scenario field (repeatable; after the options above):
                             --set streamLimit=10,100     an axis, swept over these values (concurrency,
                                                          ratePerSec, payloadBytes, delayMs, streamLimit,
                                                          batchWindowMs, streamWindowBytes, sessionWindowBytes,
                                                          tunnelConnections, connectorProcesses, systemCores,
                                                          clientConnections, the network legs' …RttMs, …Mbit)
                             --set bulk.concurrency=0,4   a load group's axis, by the group's id
                             --set workload.call=sleep    a field, by its path; systems.<id>.<field> by id
  --json                   a JSON summary on stdout: results and report paths, status, and per point the
                           system, params, status (and reason), req/s, p50 and p99 (µs), errors; the
                           human summary goes to stderr
  -q, --quiet              no progress lines: only the summary (with --json, only the JSON)
  --profile[=cpu]          one more trial per point with every system process under V8's sampling CPU
                           profiler: profiles in <run>/profiles/*.cpuprofile, a flame graph, top functions
                           and where the time went (GC, idle, our code, node) per process in the report, and
                           the trial's cost against the unprofiled ones. The point's figures stay the
                           unprofiled trials'.
  --profile=clinic         per point, the system started afresh under clinic doctor, then clinic flame
                           (warm-up and one trial each; clinic samples a process from start to exit): its
                           own pages per process in <run>/clinic/, linked from the report with each trial's
                           cost. Needs the optional packages @clinic/doctor and @clinic/flame (Node <= 20).
  --cpus systems=SET,load=SET
                           the cores the systems and the load run on, as taskset writes them (0-3, 0,2,4);
                           either may be left out; over the scenario's cpus. Default: systems on core 0, load
                           on core 1 (two cores or more, with taskset); a core the machine lacks is refused
  --load-workers N         split each point's load over N load-worker processes, one per core of the load
                           set (the scenario's loadWorkers): concurrency or rate shared out, windows opened at
                           one instant, histograms merged exactly; generator-bound if any one worker was
  --reports-dir DIR        where <scenario>/<run-id>/ goes (default reports/)
  -h, --help               this text

The command line's changes are made to the scenario before it is checked, with the same checks and
messages as the file's own values: results.json's scenario definition is what ran, and its "overrides"
lists them. E.g. muxbench scenario stream-limit --quick -c 100 -d 2s --system h2-tunnel --set streamLimit=10,0

exit status: 0 every point measured (ok, not steady or generator-bound); 1 some point failed (the reasons
are listed below the summary); 2 bad options or a bad scenario file, nothing run; 130 stopped by SIGINT
(Ctrl-C), 143 by SIGTERM or the parent's exit — the points measured so far are kept, the report written.
A second signal exits at once.`;

const REPORT_USAGE = `usage: muxbench report <results.json>

Renders the run's self-contained HTML report (charts, verdicts, every point, environment) into
index.html next to results.json and prints its path. Exit 2 when the file is missing or not a
muxbench.results/1 file.`;

const COMPARE_USAGE = `usage: muxbench compare <baseline results.json> <current results.json> [options]

Matches points by system + params and compares req/s (higher is better), p50 and p99 (lower is better)
over the trial values of each point: change of the medians, its 95 % bootstrap CI and a Mann-Whitney U
p-value. A change is significant when p <= alpha AND the CI excludes 0 AND |change| >= min effect.
Points in only one file are listed as added/removed.

options:
  --html FILE         also write the comparison as an HTML page (both runs on each chart, baseline dashed)
  --min-effect X      smallest relative change that counts (default 0.1 = 10 %)
  --alpha P           largest p-value that counts (default 0.1: with 3 vs 3 trials the smallest possible
                      two-sided exact p is 0.1, so a lower alpha could never flag anything)
  --correction C      correct p for the number of comparisons: holm, bh (Benjamini–Hochberg) or none
                      (default none: with 3 vs 3 trials no corrected p can reach alpha; the gate corrects)

Metrics: req/s, p50, p99, and CPU time per request (all system processes, and each) where both runs
sampled it. Warns when the scenario definitions differ, one run is quick, or the machines differ.

exit status: 0 no significant regression, 1 a significant regression (throughput lower or latency higher,
or a point that now fails), 2 bad input (missing file, wrong schema, runs of different scenarios).`;

const INDEX_USAGE = `usage: muxbench index [--reports-dir DIR]

Writes DIR/index.html (default reports/): every run under DIR/<scenario>/<run-id>/results.json newest
first, each scenario's latest run compared with its previous one (compare-<previous-run-id>.html beside the
latest run), and the microbenchmark results in DIR/bench/. Run pages that are missing or older than their
results.json are rendered on the way.`;

const GATE_USAGE = `usage: muxbench gate [options]

Runs a base revision and this working tree on this machine in one job and fails on a performance
regression. The base is checked out in a temporary git worktree (its node_modules linked when the lock
files match, else npm ci); every point of the chosen scenarios runs both sides' systems at once, warms
each until steady, then alternates A B, B A, … trials. A change counts when a Mann-Whitney U test,
Holm-corrected over every comparison of the gate, gives p <= 0.05, the 95 % bootstrap interval of the
change excludes 0, and the change is at least 5 %. Gated: req/s, p50 and CPU time per request (all
system processes and each); p99 is reported. A candidate point that fails where the base did not is run
once more before it counts.

options:
  --base REF            the revision to compare against (default HEAD: your uncommitted changes)
  --base-dir DIR        use a prepared tree as the base instead (node_modules installed)
  --scenario NAME       a scenario (name or file) to gate on; repeat for several (default: gate,
                        scenarios/gate.ts: both tunnels around the stream limit, http_grpc both modes,
                        the origin as a control — about 4 minutes)
  --rounds N            interleaved rounds per point (default 8)
  --trial-ms MS         length of each trial (default: the scenario's durationMs)
  --rewarm-ms MS        warm-up before each trial after the first (default 500)
  --candidate-env K=V   environment for the candidate's systems only (repeatable); e.g.
                        MUXBENCH_INJECT_CPU_US=5 makes every reference system burn 5 µs per request,
                        the way to check that the gate catches a known slowdown
  --base-env K=V        environment for the base's systems only (repeatable)
  --min-effect X        smallest relative change that counts (default 0.05 = 5 %)
  --alpha P             family-wise false-alarm rate the Holm correction holds (default 0.05)
  --reports-dir DIR     where gate/<run-id>/ goes (default reports/)
  --profile             after each point's rounds, one more trial per side with every system process under
                        V8's CPU profiler (not in the verdict): the comparison shows per point and process
                        which functions grew. A base tree without the profiler is not profiled.

writes reports/gate/<run-id>/: summary.md (also appended to $GITHUB_STEP_SUMMARY when set), gate.json
(every comparison), benchmark.json (github-action-benchmark, customSmallerIsBetter), bencher.json
(Bencher metric format), index.html + <scenario>/index.html (comparison pages), and the results files
of both sides.

exit status: 0 no significant regression; 1 a significant regression, or a point that now fails twice;
2 could not decide (a point failed on the base side too, or was interrupted) or could not run (bad
options, base revision missing — fetch it in a shallow clone —, npm ci failed).`;

const COMMAND_USAGE: Record<string, () => string | Promise<string>> = {
  scenario: () => SCENARIO_USAGE,
  list: () => LIST_USAGE,
  report: () => REPORT_USAGE,
  compare: () => COMPARE_USAGE,
  index: () => INDEX_USAGE,
  gate: () => GATE_USAGE,
  serve: serveUsage,
  attack: async () => (await import('./attack/cli.ts')).ATTACK_USAGE,
  k8s: async () => (await import('./k8s/cli.ts')).K8S_USAGE,
  merge: async () => (await import('./k8s/cli.ts')).MERGE_USAGE,
  'load-worker': () => LOAD_WORKER_USAGE,
};

/** A usage error on stderr, in one line: what was wrong and where the options are. */
function usageError(command: string, err: unknown): number {
  const usage = asUsageError(err);
  if (!usage) throw err;
  process.stderr.write(usageErrorLine(command, usage.message));
  return EXIT.usage;
}

async function serve(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    if (name === undefined) return usageError('serve', new UsageError(`name a system: ${Object.keys(await systems()).join(', ')}`));
    process.stdout.write(`${await serveUsage()}\n`);
    return EXIT.ok;
  }
  const SYSTEMS = await systems();
  const system = SYSTEMS[name];
  if (!system) {
    const what = name.startsWith('-') ? `name the system before its options, got '${name}'` : `unknown system '${name}'`;
    return usageError('serve', new UsageError(`${what}; one of: ${Object.keys(SYSTEMS).join(', ')}`));
  }
  if (wantsHelp(rest)) {
    process.stdout.write(`${system.usage}\n`);
    return EXIT.ok;
  }
  let start;
  try {
    start = system.prepare(rest);
  } catch (err) {
    return usageError(`serve ${name}`, err);
  }
  try {
    return await serveUntilSignalled(name, start);
  } catch (err) {
    process.stderr.write(`muxbench serve ${name}: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** Whether this scenario's legs are the kernel's and this run is not yet in its own network namespace. */
async function wantsPrivateNetns(name: string, overrides: ScenarioOverrides | undefined): Promise<boolean> {
  const { inPrivateNetns } = await import('./run/kernel-legs.ts');
  if (inPrivateNetns()) return false;
  const { loadScenario } = await import('./scenario/index.ts');
  try {
    return (await loadScenario(name, overrides)).scenario.network?.mechanism === 'kernel';
  } catch {
    return false; // the run itself reports what is wrong with the file
  }
}

async function scenario(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${SCENARIO_USAGE}\n`);
    return 0;
  }
  let values: ScenarioValues & { quick?: boolean; cpus?: string; 'reports-dir'?: string; json?: boolean; quiet?: boolean };
  let positionals: string[];
  let overrides: ScenarioOverrides | undefined;
  let cpus: { systems?: string; load?: string } | undefined;
  // --profile takes an optional kind, which parseArgs cannot express: it is read here.
  let profile: 'cpu' | 'clinic' | undefined;
  const rest: string[] = [];
  for (const a of argv) {
    if (a === '--profile' || a === '--profile=cpu') profile = 'cpu';
    else if (a === '--profile=clinic') profile = 'clinic';
    else if (a.startsWith('--profile=')) {
      process.stderr.write(`muxbench scenario: --profile takes cpu or clinic, got '${a.slice('--profile='.length)}'\n`);
      return 2;
    } else rest.push(a);
  }
  try {
    ({ values, positionals } = parseCommandArgs({
      args: rest,
      allowPositionals: true,
      options: {
        quick: { type: 'boolean' },
        cpus: { type: 'string' },
        'reports-dir': { type: 'string' },
        ...SCENARIO_OPTIONS,
        json: { type: 'boolean' },
        quiet: { type: 'boolean', short: 'q' },
      },
    }));
    if (positionals.length !== 1) {
      const { listScenarioNames } = await import('./scenario/index.ts');
      const what = positionals.length === 0 ? 'name a scenario' : `name one scenario, got ${positionals.map((p) => `'${p}'`).join(', ')}`;
      throw new UsageError(`${what}; scenarios: ${listScenarioNames().join(', ')}, or a file.ts`);
    }
    overrides = scenarioOverrides(values);
    cpus = values.cpus === undefined ? undefined : parseCpusOption(values.cpus);
  } catch (err) {
    return usageError('scenario', err);
  }
  // Legs the kernel shapes: the run goes on in a network namespace of its own (src/cli/netns.ts).
  if (await wantsPrivateNetns(positionals[0]!, overrides)) return (await import('./cli/netns.ts')).rerunInPrivateNetns();
  const { runScenario, killAllSupervised } = await import('./run/runner.ts');
  const { createProgress, SILENT_PROGRESS } = await import('./run/progress.ts');
  const { ScenarioError } = await import('./scenario/index.ts');
  const { summaryTable } = await import('./run/table.ts');
  // With --json stdout is the JSON's alone: what people read goes to stderr (and nowhere with --quiet).
  const human = (text: string): void => {
    if (values.json && values.quiet) return;
    (values.json ? process.stderr : process.stdout).write(text);
  };
  const interrupts = onInterrupt((why) => `\n${why}: stopping; results so far are kept\n`, killAllSupervised);
  try {
    const { resultsPath, results } = await runScenario({
      scenario: positionals[0]!,
      quick: values.quick ?? process.env.QUICK === '1',
      reportsDir: values['reports-dir'],
      signal: interrupts.signal,
      progress: values.quiet ? SILENT_PROGRESS : createProgress(),
      ...(overrides ? { overrides } : {}),
      ...(cpus ? { cpus } : {}),
      ...(profile ? { profile } : {}),
    });
    human(`\n${summaryTable(results)}\n\nresults: ${resultsPath}\n`);
    // The report is written even for an aborted run: it shows what was measured.
    const { writeRunReport, writeIndex, claimsMarkdown } = await import('./report/index.ts');
    const { dirname } = await import('node:path');
    let reportPath: string | null = null;
    try {
      const claims = claimsMarkdown(results);
      if (claims) human(`\nClaims, measured:\n\n${claims}\n\n`);
      reportPath = writeRunReport(resultsPath);
      human(`report:  ${reportPath}\n`);
      human(`index:   ${writeIndex(dirname(dirname(dirname(resultsPath))))}\n`);
    } catch (err) {
      process.stderr.write(`muxbench scenario: the results are saved, but the report could not be written: ${(err as Error).message}\n`);
    }
    const code = results.status === 'aborted' ? interrupts.exitCode() : results.points.some((p) => p.status === 'failed') ? EXIT.failed : EXIT.ok;
    if (values.json) {
      const { runSummary } = await import('./run/summary-json.ts');
      process.stdout.write(`${JSON.stringify(runSummary(results, { results: resultsPath, report: reportPath }, code), null, 2)}\n`);
    }
    return code;
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`muxbench scenario: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  } finally {
    interrupts.dispose();
  }
}

async function report(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  try {
    const { positionals } = parseCommandArgs({ args: argv, allowPositionals: true, options: {} });
    if (positionals.length !== 1) throw new UsageError(`name one results.json, got ${positionals.length}`);
  } catch (err) {
    return usageError('report', err);
  }
  const { writeRunReport, ReportInputError, readResults, claimsMarkdown } = await import('./report/index.ts');
  try {
    const claims = claimsMarkdown(readResults(argv[0]!));
    if (claims) process.stdout.write(`${claims}\n\n`);
    process.stdout.write(`${writeRunReport(argv[0]!)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ReportInputError)) throw err;
    process.stderr.write(`muxbench report: ${err.message}\n`);
    return 2;
  }
}

function fraction(name: string, text: string | undefined, fallback: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v < 0 || v > max) throw new UsageError(`--${name} must be a number from 0 to ${max}, got '${text}'`);
  return v;
}

async function compare(argv: string[]): Promise<number> {
  let values: { html?: string; 'min-effect'?: string; alpha?: string; correction?: string; help?: boolean };
  let positionals: string[];
  let minEffect: number;
  let alpha: number;
  let correction: 'holm' | 'bh' | 'none';
  try {
    ({ values, positionals } = parseCommandArgs({
      args: argv,
      allowPositionals: true,
      options: {
        html: { type: 'string' },
        'min-effect': { type: 'string' },
        alpha: { type: 'string' },
        correction: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
    if (values.help) {
      process.stdout.write(`${COMPARE_USAGE}\n`);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError(`name two results files (baseline, current), got ${positionals.length}`);
    minEffect = fraction('min-effect', values['min-effect'], 0.1, 10);
    alpha = fraction('alpha', values.alpha, 0.1, 1);
    const c = values.correction ?? 'none';
    if (c !== 'holm' && c !== 'bh' && c !== 'none') throw new UsageError(`--correction must be holm, bh or none, got '${c}'`);
    correction = c;
  } catch (err) {
    return usageError('compare', err);
  }
  const report = await import('./report/index.ts');
  try {
    const base = report.readResults(positionals[0]!);
    const current = report.readResults(positionals[1]!);
    const c = report.compareResults(base, current, { minEffect, alpha, correction });
    process.stdout.write(`${report.formatComparison(c)}\n`);
    if (values.html) process.stdout.write(`html: ${report.writeComparisonReport(base, current, c, values.html)}\n`);
    return report.comparisonExitCode(c);
  } catch (err) {
    if (!(err instanceof report.ReportInputError)) throw err;
    process.stderr.write(`muxbench compare: ${err.message}\n`);
    return 2;
  }
}

function envPairs(option: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${option} takes KEY=VALUE, got '${v}'`);
    out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function count(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return v;
}

async function gate(argv: string[]): Promise<number> {
  type Values = {
    base?: string;
    'base-dir'?: string;
    scenario?: string[];
    rounds?: string;
    'trial-ms'?: string;
    'rewarm-ms'?: string;
    'candidate-env'?: string[];
    'base-env'?: string[];
    'min-effect'?: string;
    alpha?: string;
    'reports-dir'?: string;
    profile?: boolean;
    help?: boolean;
  };
  let values: Values;
  let options;
  try {
    ({ values } = parseCommandArgs({
      args: argv,
      options: {
        base: { type: 'string' },
        'base-dir': { type: 'string' },
        scenario: { type: 'string', multiple: true },
        rounds: { type: 'string' },
        'trial-ms': { type: 'string' },
        'rewarm-ms': { type: 'string' },
        'candidate-env': { type: 'string', multiple: true },
        'base-env': { type: 'string', multiple: true },
        'min-effect': { type: 'string' },
        alpha: { type: 'string' },
        'reports-dir': { type: 'string' },
        profile: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }) as { values: Values });
    if (values.help) {
      process.stdout.write(`${GATE_USAGE}\n`);
      return 0;
    }
    if (values.base !== undefined && values['base-dir'] !== undefined) throw new UsageError('give --base or --base-dir, not both');
    const { createProgress } = await import('./run/progress.ts');
    const { DEFAULT_GATE_SCENARIOS, GATE_COMPARE_OPTIONS } = await import('./gate/index.ts');
    options = {
      baseRef: values['base-dir'] ?? values.base ?? 'HEAD',
      baseDir: values['base-dir'],
      scenarios: values.scenario?.length ? values.scenario : DEFAULT_GATE_SCENARIOS,
      rounds: count('rounds', values.rounds, 8, 3, 100),
      trialMs: values['trial-ms'] === undefined ? undefined : count('trial-ms', values['trial-ms'], 0, 100, 600_000),
      rewarmMs: count('rewarm-ms', values['rewarm-ms'], 500, 0, 60_000),
      candidateEnv: envPairs('candidate-env', values['candidate-env']),
      baseEnv: envPairs('base-env', values['base-env']),
      compare: {
        ...GATE_COMPARE_OPTIONS,
        minEffect: fraction('min-effect', values['min-effect'], GATE_COMPARE_OPTIONS.minEffect, 10),
        alpha: fraction('alpha', values.alpha, GATE_COMPARE_OPTIONS.alpha, 1),
      },
      reportsDir: values['reports-dir'],
      profile: values.profile === true,
      progress: createProgress(),
    };
  } catch (err) {
    return usageError('gate', err);
  }
  const { runGate, GateError } = await import('./gate/index.ts');
  const { ScenarioError } = await import('./scenario/index.ts');
  const { killAllSupervised } = await import('./run/supervise.ts');
  // interrupted, the gate cannot decide: its own exit status 2
  const interrupts = onInterrupt((why) => `\n${why}: stopping the gate\n`, killAllSupervised);
  try {
    const { decision, outputs } = await runGate({ ...options, signal: interrupts.signal });
    process.stdout.write(`\n${outputs.markdown}\nreport: ${outputs.files.html}\n`);
    const { writeIndex } = await import('./report/index.ts');
    const { dirname } = await import('node:path');
    process.stdout.write(`index:  ${writeIndex(dirname(dirname(outputs.dir)))}\n`);
    const summaryFile = process.env.GITHUB_STEP_SUMMARY;
    if (summaryFile) {
      const { appendFileSync } = await import('node:fs');
      appendFileSync(summaryFile, outputs.markdown);
    }
    return decision.exitCode;
  } catch (err) {
    if (err instanceof GateError || err instanceof ScenarioError) {
      process.stderr.write(`muxbench gate: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    interrupts.dispose();
  }
}

async function index(argv: string[]): Promise<number> {
  let values: { 'reports-dir'?: string; help?: boolean };
  try {
    ({ values } = parseCommandArgs({ args: argv, options: { 'reports-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    return usageError('index', err);
  }
  if (values.help) {
    process.stdout.write(`${INDEX_USAGE}\n`);
    return 0;
  }
  const { writeIndex } = await import('./report/index.ts');
  const dir = values['reports-dir'] ?? (await import('./run/runner.ts')).REPORTS_DIR;
  process.stdout.write(`${writeIndex(dir)}\n`);
  return 0;
}

async function list(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(`${LIST_USAGE}\n`);
    return 0;
  }
  try {
    parseCommandArgs({ args: argv, options: {} });
  } catch (err) {
    return usageError('list', err);
  }
  const { listScenarioNames, loadScenario, ScenarioError } = await import('./scenario/index.ts');
  for (const name of listScenarioNames()) {
    try {
      const { scenario } = await loadScenario(name);
      process.stdout.write(`${name.padEnd(20)} ${scenario.description}\n`);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      const [first, ...problems] = err.message.split('\n');
      process.stdout.write(`${name.padEnd(20)} INVALID: ${problems.length ? problems.join('; ').trim() : first}\n`);
    }
  }
  return 0;
}

const LOAD_WORKER_USAGE = `usage: muxbench load-worker                     (started by the runner: commands on stdin)
       muxbench load-worker --plan FILE [--index I] [--out FILE]

The load engine's process. Without options it takes the runner's commands, one JSON line each on stdin.
With --plan it runs on its own as worker I of the plan's N (\`muxbench k8s\` writes plans; a pod of its
Indexed Job reads its index from JOB_COMPLETION_INDEX): its share of the point's load, begun at the plan's
start instant, its windows opened on the plan's timeline. Its partial result is the last line on stdout,
{"event":"partial",…}, and the file --out names; \`muxbench merge\` makes the partials one results.json.`;

/** `muxbench load-worker`: the runner's load engine (stdin commands), or one worker of a plan. */
async function loadWorker(argv: string[]): Promise<number> {
  if (argv.length === 0) {
    const { loadWorkerMain } = await import('./load/worker-main.ts');
    return loadWorkerMain();
  }
  if (wantsHelp(argv)) {
    process.stdout.write(`${LOAD_WORKER_USAGE}\n`);
    return EXIT.ok;
  }
  let plan: import('./load/plan.ts').WorkerPlan;
  let index: number;
  let out: string | undefined;
  try {
    const { values } = parseCommandArgs({ args: argv, options: { plan: { type: 'string' }, index: { type: 'string' }, out: { type: 'string' } } });
    if (values.plan === undefined) throw new UsageError('--plan FILE is required (or no option at all: commands on stdin)');
    const indexText = values.index ?? process.env.JOB_COMPLETION_INDEX;
    if (indexText === undefined || !/^\d+$/.test(indexText))
      throw new UsageError(`the worker's index: --index I or JOB_COMPLETION_INDEX, a whole number, got '${indexText ?? ''}'`);
    index = Number(indexText);
    const { parsePlan } = await import('./load/plan.ts');
    let text: string;
    try {
      text = readFileSync(values.plan, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read the plan ${values.plan}: ${(err as Error).message}`);
    }
    try {
      plan = parsePlan(JSON.parse(text));
    } catch (err) {
      throw new UsageError(`${values.plan}: ${(err as Error).message}`);
    }
    if (index >= plan.workers) throw new UsageError(`worker index ${index} is not one of the plan's 0-${plan.workers - 1}`);
    out = values.out;
  } catch (err) {
    return usageError('load-worker', err);
  }
  const { planMain } = await import('./load/worker-main.ts');
  try {
    const partial = await planMain(plan, index);
    if (out) (await import('./run/persist.ts')).writeJsonAtomic(out, partial);
    return EXIT.ok;
  } catch (err) {
    process.stderr.write(`muxbench load-worker: worker ${index}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.failed;
  }
}

/** `muxbench help [topic]`: the general text, a command's, or a system's (muxbench help origin). */
async function help(topic: string | undefined): Promise<number> {
  if (topic === undefined) {
    process.stdout.write(`${await usage()}\n`);
    return EXIT.ok;
  }
  const text = COMMAND_USAGE[topic] ? await COMMAND_USAGE[topic]() : (await systems())[topic]?.usage;
  if (text === undefined) {
    process.stderr.write(`muxbench help: no command or system '${topic}'; commands: ${Object.keys(COMMAND_USAGE).join(', ')} (see muxbench --help)\n`);
    return EXIT.usage;
  }
  process.stdout.write(`${text}\n`);
  return EXIT.ok;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'scenario':
      return scenario(rest);
    case 'list':
      return list(rest);
    case 'serve':
      return serve(rest);
    case 'report':
      return report(rest);
    case 'compare':
      return compare(rest);
    case 'index':
      return index(rest);
    case 'gate':
      return gate(rest);
    case 'attack':
      return (await import('./attack/cli.ts')).attackCommand(rest);
    case 'attack-load':
      // internal: the well-behaved load of an attack run, in its own process
      return (await import('./attack/load-process.ts')).attackLoadMain();
    case 'load-worker':
      return loadWorker(rest);
    case 'k8s':
      return (await import('./k8s/cli.ts')).k8sCommand(rest);
    case 'merge':
      return (await import('./k8s/cli.ts')).mergeCommand(rest);
    case undefined:
    case '--help':
    case '-h':
      return help(undefined);
    case 'help':
      // `muxbench help serve origin`: the system's options
      return help(rest[0] === 'serve' && rest[1] !== undefined ? rest[1] : rest[0]);
    case '--version':
    case '-V':
      process.stdout.write(`muxbench ${version()}\n`);
      return EXIT.ok;
    default:
      process.stderr.write(
        command.startsWith('-')
          ? `muxbench: unknown option '${command}' (see muxbench --help)\n`
          : `muxbench: unknown command '${command}' (see muxbench --help)\n`,
      );
      return EXIT.usage;
  }
}
