/** The `muxbench` command. Each subcommand returns its exit code; errors are printed, never thrown raw. */
import { SYSTEMS } from './systems/registry.ts';
import { serveUntilSignalled, UsageError } from './systems/serve.ts';

const USAGE = `usage: muxbench <command> [...]

commands:
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

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
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
