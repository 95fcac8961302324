/**
 * Whether this kernel has netem (the network emulator qdisc: delay, jitter, loss, reordering), tried where
 * it changes nothing on the machine: in a private network namespace (`unshare -rn`), on its own loopback.
 * muxbench shapes network legs with its userspace relay either way (src/systems/relay); the answer is
 * recorded with every run so that a report says what the machine could do, and loss — which only netem can
 * emulate honestly — is refused with the reason.
 */
import { spawnSync } from 'node:child_process';

export interface NetemProbe {
  available: boolean;
  /** what answered: "netem qdisc added on a private loopback", or tc's / unshare's error */
  detail: string;
}

let cached: NetemProbe | undefined;

const PROBE = 'ip link set lo up && tc qdisc add dev lo root netem delay 1ms';

export function probeNetem(): NetemProbe {
  if (cached) return cached;
  const r = spawnSync('unshare', ['-rn', 'sh', '-c', PROBE], { encoding: 'utf8', timeout: 5000 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    cached = { available: false, detail: code === 'ENOENT' ? 'unshare is not installed (util-linux)' : `unshare failed: ${r.error.message}` };
  } else if (r.status === 0) cached = { available: true, detail: 'netem qdisc added on a private loopback (unshare -rn)' };
  else {
    const said = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.status ?? r.signal}`;
    cached = { available: false, detail: `unshare -rn, then tc qdisc add dev lo root netem delay 1ms: ${said}` };
  }
  return cached;
}
