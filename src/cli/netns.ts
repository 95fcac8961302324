/**
 * `muxbench scenario` for a scenario whose legs the kernel shapes (`network.mechanism: 'kernel'`): the same
 * command again, inside a private network namespace of its own (`unshare -rn`), so that shaping its
 * loopback touches nothing else on the machine. unshare executes the command in its own process: the
 * inner run's parent is this one (it stops when this one goes), a terminal's Ctrl-C reaches both (this
 * one leaves it to the inner run), and a SIGTERM sent to this one alone is passed on.
 */
import { spawn } from 'node:child_process';
import { NETNS_ENV } from '../run/kernel-legs.ts';
import { signalExitCode } from './args.ts';

/** Runs this very command in a private network namespace; resolves with its exit status. */
export function rerunInPrivateNetns(): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('unshare', ['-rn', '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
      stdio: 'inherit',
      env: { ...process.env, [NETNS_ENV]: '1' },
    });
    const onInt = (): void => {}; // the terminal's Ctrl-C reaches the inner run by itself
    const onTerm = (): void => void child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const done = (code: number): void => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      resolve(code);
    };
    child.on('error', (err) => {
      process.stderr.write(
        `muxbench scenario: network.mechanism 'kernel' needs a private network namespace, and unshare could not make one: ${err.message} (unshare is in util-linux)\n`,
      );
      done(2);
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? signalExitCode(signal) : 1)));
  });
}
