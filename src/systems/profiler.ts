/**
 * CPU profiles of a served system on request: with MUXBENCH_PROFILE_DIR set, SIGUSR2 starts V8's sampling
 * profiler in this process (through node:inspector, in process — no --inspect port) and the next SIGUSR2
 * stops it and writes the profile to `<dir>/<system>-<pid>-<n>.cpuprofile`. Each step answers with a JSON
 * line on stdout — {"event":"profile-started"} and {"event":"profile","file":…} (or {"event":"profile",
 * "error":…}) — which the supervisor waits for. A supervisor profiles exactly the window it measures this way.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PROFILE_DIR_ENV = 'MUXBENCH_PROFILE_DIR';
/** Sampling interval, µs: V8's default. 250 µs cost a tunnel ~45 % of its requests/s on one shared core; 1000 µs gives a one-second window 1,000 samples per process. */
export const PROFILE_INTERVAL_US = 1000;

function post<T>(session: Session, method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params, (err, result) => (err ? reject(err) : resolve(result as T))));
}

function say(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * Installs the SIGUSR2 toggle. Without MUXBENCH_PROFILE_DIR the signal is still caught (its default action
 * would end the process) and answered with an error.
 */
export function installProfileSignal(system: string): void {
  const dir = process.env[PROFILE_DIR_ENV];
  if (!dir) {
    process.on('SIGUSR2', () => say({ event: 'profile', error: `${system} was started without ${PROFILE_DIR_ENV}` }));
    return;
  }
  let session: Session | null = null;
  let running = false;
  let busy = false;
  let n = 0;
  process.on('SIGUSR2', () => {
    // A signal while the previous step is still under way is ignored: the supervisor waits for each answer.
    if (busy) return;
    busy = true;
    const step = async (): Promise<void> => {
      if (!running) {
        if (!session) {
          session = new Session();
          session.connect();
          await post(session, 'Profiler.enable');
          await post(session, 'Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
        }
        await post(session, 'Profiler.start');
        running = true;
        say({ event: 'profile-started' });
        return;
      }
      running = false;
      const { profile } = await post<{ profile: unknown }>(session!, 'Profiler.stop');
      const file = join(dir, `${system}-${process.pid}-${++n}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      say({ event: 'profile', file });
    };
    step().then(
      () => void (busy = false),
      (err: unknown) => {
        busy = false;
        running = false;
        say({ event: 'profile', error: err instanceof Error ? err.message : String(err) });
      },
    );
  });
}
