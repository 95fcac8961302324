/**
 * How a long command (scenario, gate, attack) is stopped: the first SIGINT or SIGTERM — or the exit of
 * the process that started it, which is all that `npx muxbench …` stopped by npx's pid looks like from
 * here — aborts the run, which then keeps what it measured; a second signal exits at once.
 */
import { watchParent } from '../systems/parent-watch.ts';
import { signalExitCode } from './args.ts';

export interface Interrupts {
  readonly signal: AbortSignal;
  /** 128 + the signal that stopped the run (130 SIGINT, 143 SIGTERM; a parent's exit counts as SIGTERM) */
  exitCode(): number;
  /** stops listening for signals and for the parent */
  dispose(): void;
}

/**
 * Listens for SIGINT, SIGTERM and the parent's exit. On the first, prints `message(why)` to stderr,
 * aborts `signal` and calls `afterAbort` (kill the systems, say).
 */
export function onInterrupt(message: (why: string) => string, afterAbort: () => void = () => {}): Interrupts {
  const controller = new AbortController();
  let received: NodeJS.Signals = 'SIGINT';
  const interrupt = (signal: NodeJS.Signals, why: string = signal): void => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    received = signal;
    process.stderr.write(message(why));
    controller.abort();
    afterAbort();
  };
  const onSignal = (signal: NodeJS.Signals): void => interrupt(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const unwatch = watchParent(() => interrupt('SIGTERM', 'parent process exited'));
  return {
    signal: controller.signal,
    exitCode: () => signalExitCode(received),
    dispose() {
      unwatch();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
