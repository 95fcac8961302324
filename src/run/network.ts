/**
 * The relays that stand in a point's network legs (src/scenario/network.ts): one `muxbench serve relay`
 * process per leg, listening once for every service the leg carries. They are the measuring apparatus, not
 * the system: they always come from this tree (never a gate's base tree), are never profiled, run on the
 * systems' core, and are kept apart from the systems' processes in the resource figures.
 */
import type { CpuSet } from '../os/cpus.ts';
import type { Leg, LegConditions } from '../scenario/network.ts';
import { startSystem, type Supervised } from './supervise.ts';

export interface RelayedLeg {
  relay: Supervised;
  /** the same services as given, reached through the relay */
  urls: Record<string, string>;
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** host:port of a URL, the port filled in from its scheme. */
function endpoint(url: URL): string {
  const port = url.port || String(DEFAULT_PORTS[url.protocol] ?? '');
  if (port === '') throw new Error(`a network leg cannot relay ${url.href}: it names no port`);
  return `${url.hostname}:${port}`;
}

/** The relay's command-line options for a leg's conditions. */
export function relayArgs(c: LegConditions, urls: Record<string, string>): string[] {
  const args = ['--port', '0'];
  for (const [name, url] of Object.entries(urls)) args.push('--target', `${name}=${endpoint(new URL(url))}`);
  args.push('--delay-ms', String(c.rttMs / 2), '--jitter-ms', String(c.jitterMs), '--mbit', String(c.mbit));
  if (c.bufferBytes !== undefined) args.push('--buffer-bytes', String(c.bufferBytes));
  return args;
}

/**
 * Starts the relay of one leg in front of `urls` ({ http: 'http://127.0.0.1:4000', … }) and returns the
 * same URLs with the relay's ports in them (scheme and path kept).
 */
export async function startLeg(leg: Leg, c: LegConditions, urls: Record<string, string>, cpu: CpuSet | undefined): Promise<RelayedLeg> {
  const relay = await startSystem('relay', relayArgs(c, urls), { cpu });
  const relayed: Record<string, string> = {};
  for (const [name, url] of Object.entries(urls)) {
    const through = relay.ready.urls[name];
    if (through === undefined) {
      await relay.stop();
      throw new Error(`the ${leg} leg's relay did not report a listener for ${name}`);
    }
    const u = new URL(url);
    u.host = new URL(through).host;
    relayed[name] = u.href.replace(/\/$/, url.endsWith('/') ? '/' : '');
  }
  return { relay, urls: relayed };
}
