/** The `muxbench` command. Each subcommand returns its exit code; errors are printed, never thrown raw. */
import { serveUntilSignalled, UsageError } from './systems/serve.ts';

// The systems (and their libraries) load only for the commands that need them: the load worker starts
// once per trial and must start fast.
const systems = async () => (await import('./systems/registry.ts')).SYSTEMS;

const usage = async (): Promise<string> => `usage: muxbench <command> [...]

commands:
  scenario <name|file.ts> [--quick] [--profile[=cpu|clinic]] [--reports-dir DIR]
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
  attack <target>... [--patterns a,b] [--list] [--plan NAME]
                             run the HTTP/2 abuse patterns (floods, rapid reset, CONTINUATION, HPACK bomb,
                             slowloris, …) against h2c URLs or h2-edge / node-http2 / nghttpx / nghttpd
                             while a well-behaved load runs; results in reports/attack/<run-id>/
  help [command]             this text, or a command's options

systems:
${Object.entries(await systems())
  .map(([name, s]) => `  ${name.padEnd(14)} ${s.summary}`)
  .join('\n')}`;

const SCENARIO_USAGE = `usage: muxbench scenario <name|file.ts> [options]

Runs a scenario from scenarios/ (by name) or a file: every point warmed until steady, then its trials;
results.json and a self-contained index.html in reports/<scenario>/<run-id>/ (written after every point,
so Ctrl-C keeps what was measured). Exit 0 every point measured, 1 some points failed, 2 bad input,
130 interrupted.

options:
  --quick            the scenario's short variant (also QUICK=1)
  --profile[=cpu]    one more trial per point with every system process under V8's sampling CPU profiler:
                     profiles in <run>/profiles/*.cpuprofile, a flame graph, top functions and where the
                     time went (GC, idle, our code, node) per process in the report, and the trial's cost
                     against the unprofiled ones. The point's figures stay the unprofiled trials'.
  --profile=clinic   per point, the system started afresh under clinic doctor, then clinic flame (warm-up
                     and one trial each; clinic samples a process from start to exit): clinic's own pages
                     per process in <run>/clinic/, linked from the report with each trial's cost. Needs the
                     optional packages @clinic/doctor and @clinic/flame (Node <= 20).
  --reports-dir DIR  where <scenario>/<run-id>/ goes (default reports/)`;

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

const COMMAND_USAGE: Record<string, string> = { scenario: SCENARIO_USAGE, report: REPORT_USAGE, compare: COMPARE_USAGE, index: INDEX_USAGE, gate: GATE_USAGE };

function isArgError(err: unknown): err is Error {
  // node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
  return err instanceof UsageError || (err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
}

async function serve(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const SYSTEMS = await systems();
  const system = name === undefined ? undefined : SYSTEMS[name];
  if (!system) {
    process.stderr.write(`muxbench serve: ${name === undefined ? 'name a system' : `unknown system '${name}'`}; one of: ${Object.keys(SYSTEMS).join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${system.usage}\n`);
    return 0;
  }
  let start;
  try {
    start = system.prepare(rest);
  } catch (err) {
    if (!isArgError(err)) throw err;
    process.stderr.write(`muxbench serve ${name}: ${err.message}\n${system.usage}\n`);
    return 2;
  }
  try {
    return await serveUntilSignalled(name!, start);
  } catch (err) {
    process.stderr.write(`muxbench serve ${name}: could not start: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

async function scenario(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${SCENARIO_USAGE}\n`);
    return 0;
  }
  const { parseArgs } = await import('node:util');
  let values: { quick?: boolean; 'reports-dir'?: string };
  let positionals: string[];
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
    ({ values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { quick: { type: 'boolean' }, 'reports-dir': { type: 'string' } },
    }));
  } catch (err) {
    process.stderr.write(`muxbench scenario: ${(err as Error).message}\n${SCENARIO_USAGE}\n`);
    return 2;
  }
  const name = positionals[0];
  if (!name || positionals.length > 1) {
    const { listScenarioNames } = await import('./scenario/index.ts');
    process.stderr.write(`usage: muxbench scenario <name|file.ts> [--quick]; scenarios: ${listScenarioNames().join(', ')}\n`);
    return 2;
  }
  const { runScenario, killAllSupervised } = await import('./run/runner.ts');
  const { ScenarioError } = await import('./scenario/index.ts');
  const { summaryTable } = await import('./run/table.ts');
  const controller = new AbortController();
  const interrupt = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${sig}: stopping; results so far are kept\n`);
    controller.abort();
    killAllSupervised();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    const { resultsPath, results } = await runScenario({
      scenario: name,
      quick: values.quick ?? process.env.QUICK === '1',
      reportsDir: values['reports-dir'],
      signal: controller.signal,
      ...(profile ? { profile } : {}),
    });
    process.stdout.write(`\n${summaryTable(results)}\n\nresults: ${resultsPath}\n`);
    // The report is written even for an aborted run: it shows what was measured.
    const { writeRunReport, writeIndex, claimsMarkdown } = await import('./report/index.ts');
    const { dirname } = await import('node:path');
    try {
      const claims = claimsMarkdown(results);
      if (claims) process.stdout.write(`\nThe seeds' claims, measured:\n\n${claims}\n\n`);
      process.stdout.write(`report:  ${writeRunReport(resultsPath)}\n`);
      process.stdout.write(`index:   ${writeIndex(dirname(dirname(dirname(resultsPath))))}\n`);
    } catch (err) {
      process.stderr.write(`muxbench scenario: the results are saved, but the report could not be written: ${(err as Error).message}\n`);
    }
    if (results.status === 'aborted') return 130;
    return results.points.some((p) => p.status === 'failed') ? 1 : 0;
  } catch (err) {
    if (err instanceof ScenarioError) {
      process.stderr.write(`muxbench scenario: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

async function report(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${REPORT_USAGE}\n`);
    return 0;
  }
  if (argv.length !== 1 || argv[0]!.startsWith('-')) {
    process.stderr.write(`muxbench report: name one results.json\n${REPORT_USAGE}\n`);
    return 2;
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
  const { parseArgs } = await import('node:util');
  let values: { html?: string; 'min-effect'?: string; alpha?: string; correction?: string; help?: boolean };
  let positionals: string[];
  let minEffect: number;
  let alpha: number;
  let correction: 'holm' | 'bh' | 'none';
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { html: { type: 'string' }, 'min-effect': { type: 'string' }, alpha: { type: 'string' }, correction: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
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
    if (!isArgError(err)) throw err;
    process.stderr.write(`muxbench compare: ${err.message}\n${COMPARE_USAGE}\n`);
    return 2;
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
  const { parseArgs } = await import('node:util');
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
    ({ values } = parseArgs({
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
    if (!isArgError(err)) throw err;
    process.stderr.write(`muxbench gate: ${err.message}\n${GATE_USAGE}\n`);
    return 2;
  }
  const { runGate, GateError } = await import('./gate/index.ts');
  const { ScenarioError } = await import('./scenario/index.ts');
  const { killAllSupervised } = await import('./run/supervise.ts');
  const controller = new AbortController();
  const interrupt = (sig: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\n${sig}: stopping the gate\n`);
    controller.abort();
    killAllSupervised();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    const { decision, outputs } = await runGate({ ...options, signal: controller.signal });
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
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

async function index(argv: string[]): Promise<number> {
  const { parseArgs } = await import('node:util');
  let values: { 'reports-dir'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: { 'reports-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (err) {
    if (!isArgError(err)) throw err;
    process.stderr.write(`muxbench index: ${err.message}\n${INDEX_USAGE}\n`);
    return 2;
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

async function list(): Promise<number> {
  const { listScenarioNames, loadScenario, ScenarioError } = await import('./scenario/index.ts');
  for (const name of listScenarioNames()) {
    try {
      const { scenario } = await loadScenario(name);
      process.stdout.write(`${name.padEnd(20)} ${scenario.description}\n`);
    } catch (err) {
      if (!(err instanceof ScenarioError)) throw err;
      process.stdout.write(`${name.padEnd(20)} INVALID: ${err.message.split('\n').slice(1).join('; ').trim()}\n`);
    }
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'scenario':
      return scenario(rest);
    case 'list':
      return list();
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
    case 'load-worker': {
      // internal: the load engine's process, started by the runner
      const { loadWorkerMain } = await import('./load/worker-main.ts');
      return loadWorkerMain();
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      const topic =
        rest[0] === undefined
          ? undefined
          : rest[0] === 'attack'
            ? (await import('./attack/cli.ts')).ATTACK_USAGE
            : (COMMAND_USAGE[rest[0]] ?? (await systems())[rest[0]]?.usage);
      process.stdout.write(`${topic ?? (await usage())}\n`);
      return 0;
    }
    default:
      process.stderr.write(`muxbench: unknown command '${command}'\n${await usage()}\n`);
      return 2;
  }
}
