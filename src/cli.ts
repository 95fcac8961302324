/** The `muxbench` command. Each subcommand returns its exit code; errors are printed, never thrown raw. */
import { SYSTEMS } from './systems/registry.ts';
import { serveUntilSignalled, UsageError } from './systems/serve.ts';

const USAGE = `usage: muxbench <command> [...]

commands:
  scenario <name|file.ts> [--quick] [--reports-dir DIR]
                             run a scenario; results in reports/<scenario>/<run-id>/results.json
  list                       the scenarios in scenarios/
  serve <system> [options]   start one system under test; prints a JSON ready line, stops on SIGTERM
  help [command]             this text, or a command's options

systems:
${Object.entries(SYSTEMS)
  .map(([name, s]) => `  ${name.padEnd(14)} ${s.summary}`)
  .join('\n')}`;

function isArgError(err: unknown): err is Error {
  // node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
  return err instanceof UsageError || (err instanceof Error && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS'));
}

async function serve(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
  const { parseArgs } = await import('node:util');
  let values: { quick?: boolean; 'reports-dir'?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { quick: { type: 'boolean' }, 'reports-dir': { type: 'string' } },
    }));
  } catch (err) {
    process.stderr.write(`muxbench scenario: ${(err as Error).message}\n`);
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
    });
    process.stdout.write(`\n${summaryTable(results)}\n\nresults: ${resultsPath}\n`);
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
    case 'load-worker': {
      // internal: the load engine's process, started by the runner
      const { loadWorkerMain } = await import('./load/worker-main.ts');
      return loadWorkerMain();
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h': {
      const topic = rest[0] && SYSTEMS[rest[0]];
      process.stdout.write(`${topic ? topic.usage : USAGE}\n`);
      return 0;
    }
    default:
      process.stderr.write(`muxbench: unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}
