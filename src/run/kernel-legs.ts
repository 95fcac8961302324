/**
 * Network legs made by the kernel instead of the relay (`network.mechanism: 'kernel'`). The whole run lives
 * in a private network namespace — `muxbench scenario` enters one with `unshare -rn` (src/cli.ts) — so its
 * loopback is the run's own and shaping it touches nothing else on the machine. Each leg's packets are
 * picked out on that loopback by the ports of the leg's servers (tc u32: to the port is one direction,
 * from it the other), each direction into an htb class of the leg's bandwidth, with a netem qdisc under it
 * for half the round trip, the jitter and the loss. htb and u32 are in most kernels (this machine's too);
 * netem is not in every one (src/os/netem.ts): without it only bandwidth can be shaped this way, and a leg
 * that asks for delay, jitter or loss is refused before anything starts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { MuxbenchError } from '../errors.ts';
import type { LegConditions } from '../scenario/network.ts';

/** Set in the environment of a run that already is in its private namespace. */
export const NETNS_ENV = 'MUXBENCH_NETNS';

export function inPrivateNetns(): boolean {
  return process.env[NETNS_ENV] === '1';
}

export class KernelLegError extends MuxbenchError {
  override readonly name = 'KernelLegError';
  readonly code = 'MUX_ERR_KERNEL_LEG';
}

/** One leg as the kernel shapes it: its conditions and the ports of the servers it leads to. */
export interface KernelLeg {
  name: string;
  conditions: LegConditions & { lossPct?: number };
  ports: number[];
}

/** Whether a leg needs netem (anything but bandwidth). */
export function needsNetem(c: KernelLeg['conditions']): boolean {
  return c.rttMs > 0 || c.jitterMs > 0 || (c.lossPct ?? 0) > 0;
}

/** Unshaped traffic: an htb class far above what loopback carries. */
const OPEN_RATE = '100gbit';

/**
 * The tc commands (argv after `tc`) that shape `legs` on loopback: htb at the root, two classes per leg
 * (toward its servers, and back), a netem qdisc under each where the leg needs one, u32 filters by port.
 */
export function tcCommands(legs: readonly KernelLeg[]): string[][] {
  const cmds: string[][] = [
    ['qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'htb', 'default', '1', 'r2q', '100000'],
    ['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', '1:1', 'htb', 'rate', OPEN_RATE],
  ];
  legs.forEach((leg, i) => {
    const c = leg.conditions;
    const rate = c.mbit > 0 ? `${c.mbit}mbit` : OPEN_RATE;
    for (const [d, match] of [
      [0, 'dport'],
      [1, 'sport'],
    ] as const) {
      const minor = 10 + 2 * i + d;
      cmds.push(['class', 'add', 'dev', 'lo', 'parent', '1:', 'classid', `1:${minor}`, 'htb', 'rate', rate, 'ceil', rate]);
      if (needsNetem(c)) {
        const netem = ['delay', `${c.rttMs / 2}ms`];
        if (c.jitterMs > 0) netem.push(`${c.jitterMs}ms`);
        if ((c.lossPct ?? 0) > 0) netem.push('loss', `${c.lossPct}%`);
        cmds.push(['qdisc', 'add', 'dev', 'lo', 'parent', `1:${minor}`, 'handle', `${minor}:`, 'netem', ...netem, 'limit', '100000']);
      }
      for (const port of leg.ports)
        cmds.push([
          'filter',
          'add',
          'dev',
          'lo',
          'parent',
          '1:',
          'protocol',
          'ip',
          'prio',
          '1',
          'u32',
          'match',
          'ip',
          match,
          String(port),
          '0xffff',
          'flowid',
          `1:${minor}`,
        ]);
    }
  });
  return cmds;
}

/** Removes every shaping from loopback (nothing there is fine). */
export function clearKernelLegs(): void {
  spawnSync('tc', ['qdisc', 'del', 'dev', 'lo', 'root'], { stdio: 'ignore' });
}

/** Shapes loopback for `legs`, replacing what was there; throws naming the tc command that failed. */
export function applyKernelLegs(legs: readonly KernelLeg[]): void {
  if (!inPrivateNetns())
    throw new KernelLegError("kernel legs shape loopback, which is only done in a run's own network namespace (muxbench scenario enters one)");
  clearKernelLegs();
  for (const args of tcCommands(legs)) {
    try {
      execFileSync('tc', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const said = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim();
      clearKernelLegs();
      throw new KernelLegError(`tc ${args.join(' ')}: ${said}`);
    }
  }
}

/**
 * Why a run with kernel legs cannot start here, or null: it must be in its own namespace, and legs with a
 * round trip, jitter or loss need netem (`netem`: the probe's answer).
 */
export function kernelRunProblem(anyNeedsNetem: boolean, netem: { available: boolean; detail: string }): string | null {
  if (!inPrivateNetns())
    return "network.mechanism 'kernel' shapes the run's own loopback: run the scenario with `muxbench scenario`, which enters a private network namespace for it (unshare -rn)";
  if (anyNeedsNetem && !netem.available)
    return `network: a round trip, jitter or loss on kernel legs needs netem, which this kernel lacks (${netem.detail}); use mechanism 'relay' (round trip, jitter, bandwidth), or give kernel legs bandwidth (mbit) alone`;
  return null;
}

/** The namespace's loopback is down when it is made: brought up once, first thing in the run. */
export function loopbackUp(): void {
  execFileSync('ip', ['link', 'set', 'lo', 'up'], { stdio: 'ignore' });
}
