/**
 * The command line as a user meets it: help for every command in every form, the version, and usage
 * errors in one line that names the option and where the options are, with exit status 2.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, stopAll } from '../helpers/cli.ts';

afterAll(stopAll);

const COMMANDS = ['scenario', 'list', 'report', 'compare', 'index', 'gate', 'serve', 'attack'];

describe('muxbench help', () => {
  it("prints package.json's version with --version and -V", async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const runs = await Promise.all([runCli(['--version']), runCli(['-V'])]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`muxbench ${version}\n`);
    }
  });

  it("answers <command> --help with that command's usage, for every command", async () => {
    const runs = await Promise.all(COMMANDS.map((c) => runCli([c, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout, COMMANDS[i]).toMatch(new RegExp(`^usage: muxbench ${COMMANDS[i]}\\b`));
      expect(r.stderr).toBe('');
    });
    const [scenario, , , , , , serve] = runs;
    for (const option of [
      '-c, --concurrency',
      '-d, --duration',
      '--trials',
      '--warmup',
      '--system',
      '--set KEY=V',
      '--json',
      '-q, --quiet',
      '--profile[=cpu]',
      'exit status: 0',
    ]) {
      expect(scenario!.stdout).toContain(option);
    }
    expect(serve!.stdout).toMatch(/until the\nprocess that started it exits/);
    expect(serve!.stdout).toMatch(/^ {2}h2-connector +/m);
  });

  it('answers -h and help <command> the same way, and help serve <system> with its options', async () => {
    const [dash, helpScenario, flag, helpServe, origin, viaServe] = await Promise.all([
      runCli(['scenario', 'smoke', '-h']),
      runCli(['help', 'scenario']),
      runCli(['serve', '-h']),
      runCli(['help', 'serve']),
      runCli(['help', 'serve', 'origin']),
      runCli(['serve', 'origin', '--help']),
    ]);
    expect(dash.stdout).toMatch(/^usage: muxbench scenario/);
    expect(helpScenario.stdout).toBe(dash.stdout);
    expect(flag.stdout).toMatch(/^usage: muxbench serve <system>/);
    expect(helpServe.stdout).toBe(flag.stdout);
    expect(origin.stdout).toMatch(/--grpc-port N/);
    expect(viaServe.stdout).toBe(origin.stdout);
    for (const r of [dash, helpScenario, flag, helpServe, origin, viaServe]) expect(r.code).toBe(0);
  });

  it('names an unknown option in one line with where to look, and exits 2', async () => {
    const cases: [string[], string][] = [
      [['scenario', 'smoke', '--bogus'], "muxbench scenario: unknown option '--bogus' (see muxbench scenario --help)\n"],
      [['scenario', 'smoke', '-d'], 'muxbench scenario: --duration needs a value (see muxbench scenario --help)\n'],
      [['serve', '--port', '0'], "muxbench serve: name the system before its options, got '--port'; one of: http-grpc, "],
      [['serve', 'origin', '--bogus', '1'], "muxbench serve origin: unknown option '--bogus' (see muxbench serve origin --help)\n"],
      [['compare', 'a.json', 'b.json', '--alfa', '0.1'], "muxbench compare: unknown option '--alfa' (see muxbench compare --help)\n"],
      [['attack', 'node-http2', '--patern', 'x'], "muxbench attack: unknown option '--patern' (see muxbench attack --help)\n"],
      [['--bogus'], "muxbench: unknown option '--bogus' (see muxbench --help)\n"],
      [['help', 'nonsense'], "muxbench help: no command or system 'nonsense'; commands: scenario, "],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args)));
    runs.forEach((r, i) => {
      const [args, message] = cases[i]!;
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.startsWith(message), `${args.join(' ')}: ${r.stderr}`).toBe(true);
      expect(r.stderr.trimEnd().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/ERR_PARSE_ARGS|To specify a positional|at .*\.ts:\d+/);
      expect(r.stdout).toBe('');
    });
  });
});
