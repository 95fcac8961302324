/**
 * A system process under clinic (`--profile=clinic`): `clinic-collect.ts <doctor|flame> <dir> <name> --
 * <node> <args…>` runs the command under that clinic tool (@clinic/doctor or @clinic/flame, loaded here
 * only, when this process starts), passes its stdout through — the ready line reaches the supervisor as if
 * the system ran alone — and on SIGTERM or SIGINT asks the system to end with SIGINT. clinic then collects
 * what it sampled over the process's whole life and writes `<dir>/<name>.html`; this process exits 0 once
 * that page exists, or 1 with the reason on stderr.
 *
 * clinic's collectors write their temporary files into the working directory (doctor's trace log, 0x's
 * isolate logs) and doctor picks its trace up by a glob there: each collector works in a fresh directory
 * of its own, removed afterwards with the raw data (the page is self-contained).
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { descendantPids } from '../measure/resources.ts';
import { CLINIC_TOOLS, type ClinicToolName } from './clinic.ts';

interface ClinicTool {
  collect(argv: string[], cb: (err: Error | null, dataDir: string) => void): void;
  visualize(dataDir: string, outputFile: string, cb: (err?: Error | null) => void): void;
}
type ClinicToolClass = new (settings: { dest: string; name: string; detectPort: boolean; debug: boolean }) => ClinicTool;

function fail(message: string): never {
  process.stderr.write(`clinic-collect: ${message}\n`);
  process.exit(1);
}

function main(argv: string[]): void {
  const [tool, dir, name, dashes, ...command] = argv;
  if (!CLINIC_TOOLS.includes(tool as ClinicToolName) || !dir || !name || dashes !== '--' || command.length < 2) {
    fail('usage: clinic-collect.ts <doctor|flame> <dir> <name> -- <node> <args…>');
  }
  let Tool: ClinicToolClass;
  try {
    Tool = createRequire(import.meta.url)(`@clinic/${tool}`) as ClinicToolClass;
  } catch (err) {
    fail(`@clinic/${tool} could not be loaded (${(err as Error).message.split('\n')[0]}); it is an optional dependency: npm install @clinic/${tool}`);
  }
  const work = join(dir, `${name}.work`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  process.chdir(work);

  // The system ends on SIGINT, which both collectors expect; our own end waits for clinic to write its page.
  let asked = false;
  const end = (): void => {
    if (asked) return;
    asked = true;
    // clinic does not hand out its child's pid: /proc does
    for (const pid of descendantPids(process.pid)) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  };
  process.on('SIGTERM', end);
  process.on('SIGINT', end);

  const html = join(dir, `${name}.html`);
  const collector = new Tool({ dest: work, name, detectPort: false, debug: false });
  collector.collect(command, (err, dataDir) => {
    if (err) fail(`clinic ${tool} did not collect: ${err.message}`);
    collector.visualize(dataDir, html, (err2) => {
      rmSync(work, { recursive: true, force: true });
      if (err2) fail(`clinic ${tool} did not write its page: ${err2.message}`);
      process.exit(0);
    });
  });
}

main(process.argv.slice(2));
