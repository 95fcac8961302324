/**
 * What `muxbench attack` attacks: any h2c URL (prior knowledge, loopback unless --allow-remote), or a
 * reference system it starts and ends itself — our h2 tunnel's public port, a plain node:http2 server,
 * nghttpx in front of our origin, nghttpd. For each, where the attack goes, which path the well-behaved
 * load asks for and what counts as its success, and the processes whose CPU and memory are watched (by
 * role; `attackedRole` is the one whose port is attacked).
 */
import type { CpuSet } from '../os/cpus.ts';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNghttpd } from '../load/h2/nghttpd.ts';
import { processAlive } from '../measure/resources.ts';
import { startNghttpxStack, startTunnelStack } from '../run/stacks.ts';
import { startSystem, type Supervised } from '../run/supervise.ts';
import { patternBytes } from '../wire/payload.ts';
import { AttackInputError } from './errors.ts';
import { checkAttackHost } from './loopback.ts';
import type { TargetPaths } from './patterns/index.ts';

export const REFERENCE_TARGETS = {
  'h2-edge': "our h2 tunnel (origin + edge + connector); the edge's public h2c port is attacked",
  'node-http2': "a plain node:http2 h2c server (muxbench serve node-http2), node's default settings",
  nghttpx: "nghttpx (nghttp2's proxy) in front of our origin, h2c frontend, HTTP/1.1 to the origin",
  nghttpd: "nghttpd (nghttp2's server) serving static files",
} as const;

export type ReferenceName = keyof typeof REFERENCE_TARGETS;

export function isReferenceName(name: string): name is ReferenceName {
  return Object.hasOwn(REFERENCE_TARGETS, name);
}

export type TargetSpec =
  | { kind: 'reference'; name: ReferenceName }
  | {
      kind: 'url';
      /** http://host:port[/path] — the path is what the well-behaved load asks for */
      url: string;
      /** the target's process, for CPU / RSS and crash detection */
      pid: number | null;
      largePath: string | null;
      uploadPath: string | null;
      expectStatus: number;
    };

export interface RunningTarget {
  name: string;
  kind: 'reference' | 'url';
  description: string;
  host: string;
  port: number;
  authority: string;
  /** http://host:port */
  url: string;
  paths: TargetPaths;
  loadPath: string;
  expectStatus: number;
  expectPatternBytes: number | null;
  /** root pid per role; empty when the process is unknown */
  roles: Record<string, number>;
  attackedRole: string | null;
  /** muxbench started it, so it can start it again after a crash */
  restartable: boolean;
  /** the first watched process that is gone, and how it ended */
  gone(): { role: string; detail: string } | null;
  stop(): Promise<void>;
}

/** Small and large responses: the origin's routes, and the files nghttpd serves under the same paths. */
const SMALL_BYTES = 64;
const LARGE_BYTES = 1024 * 1024;
const REFERENCE_PATHS: TargetPaths = { small: `/bytes/${SMALL_BYTES}`, large: `/bytes/${LARGE_BYTES}`, upload: '/echo' };

/** The name a target is shown under: the reference's name, or its URL. */
export function targetName(spec: TargetSpec): string {
  return spec.kind === 'reference' ? spec.name : spec.url;
}

/** Checks a target before anything starts: a URL's scheme and host (loopback!), a reference's binary. */
export async function checkTarget(spec: TargetSpec, allowRemote: boolean): Promise<void> {
  if (spec.kind === 'reference') {
    const binary = spec.name === 'nghttpx' ? 'nghttpx' : spec.name === 'nghttpd' ? 'nghttpd' : null;
    if (binary !== null && spawnSync(binary, ['--version'], { stdio: 'ignore' }).status !== 0) {
      throw new AttackInputError(
        'MUX_ERR_ATTACK_TARGET',
        `target '${spec.name}' needs the ${binary} binary, which is not installed (Debian: apt-get install ${binary === 'nghttpx' ? 'nghttp2-proxy' : 'nghttp2-server'})`,
      );
    }
    return;
  }
  const url = parseTargetUrl(spec.url);
  await checkAttackHost(url.hostname, allowRemote);
}

export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new AttackInputError('MUX_ERR_ATTACK_TARGET', `target '${text}' is neither a URL nor one of ${Object.keys(REFERENCE_TARGETS).join(', ')}`);
  }
  if (url.protocol === 'https:')
    throw new AttackInputError(
      'MUX_ERR_ATTACK_TARGET',
      `target '${text}': TLS is not supported; give the server's h2c (cleartext, prior knowledge) address as http://host:port`,
    );
  if (url.protocol !== 'http:')
    throw new AttackInputError('MUX_ERR_ATTACK_TARGET', `target '${text}': only http:// (h2c with prior knowledge) URLs can be attacked, not ${url.protocol}`);
  return url;
}

export async function startTarget(spec: TargetSpec, cpu: CpuSet | undefined): Promise<RunningTarget> {
  if (spec.kind === 'url') return urlTarget(spec);
  switch (spec.name) {
    case 'node-http2': {
      const server = await startSystem('node-http2', ['--port', '0'], { cpu });
      return referenceTarget(spec.name, server.ready.urls.http!, { server }, 'server', () => server.stop().then(() => undefined));
    }
    case 'h2-edge': {
      const stack = await startTunnelStack({ design: 'h2', cpus: { origin: cpu, edge: cpu, connector: cpu } });
      return referenceTarget(spec.name, stack.urls.public!, stack.processes, 'edge', stack.stop);
    }
    case 'nghttpx': {
      const stack = await startNghttpxStack({ originProtocol: 'http1', cpu });
      return referenceTarget(spec.name, stack.urls.http!, stack.processes, 'nghttpx', stack.stop);
    }
    case 'nghttpd': {
      const htdocs = mkdtempSync(join(tmpdir(), 'muxbench-nghttpd-'));
      mkdirSync(join(htdocs, 'bytes'));
      for (const n of [SMALL_BYTES, LARGE_BYTES]) writeFileSync(join(htdocs, 'bytes', String(n)), patternBytes(n));
      writeFileSync(join(htdocs, 'echo'), 'nghttpd serves files; a POST gets this file\n');
      try {
        const d = await startNghttpd({ htdocs, cpu });
        const t = referenceTarget(spec.name, d.url, {}, 'nghttpd', async () => {
          await d.stop();
          rmSync(htdocs, { recursive: true, force: true });
        });
        t.roles = { nghttpd: d.pid };
        t.gone = () => (processAlive(d.pid) ? null : { role: 'nghttpd', detail: `exited${d.stderrTail() ? `: ${d.stderrTail().slice(-500)}` : ''}` });
        return t;
      } catch (err) {
        rmSync(htdocs, { recursive: true, force: true });
        throw err;
      }
    }
  }
}

function referenceTarget(
  name: ReferenceName,
  url: string,
  processes: Record<string, Supervised>,
  attackedRole: string,
  stop: () => Promise<void>,
): RunningTarget {
  const u = new URL(url);
  return {
    name,
    kind: 'reference',
    description: REFERENCE_TARGETS[name],
    host: u.hostname,
    port: Number(u.port),
    authority: u.host,
    url: `http://${u.host}`,
    paths: REFERENCE_PATHS,
    loadPath: REFERENCE_PATHS.small,
    expectStatus: 200,
    expectPatternBytes: SMALL_BYTES,
    roles: Object.fromEntries(Object.entries(processes).map(([role, p]) => [role, p.pid])),
    attackedRole,
    restartable: true,
    gone: () => {
      for (const [role, p] of Object.entries(processes)) {
        const code = p.child.exitCode;
        const signal = p.child.signalCode;
        if (code !== null || signal !== null) {
          const tail = p.stderrTail().split('\n').slice(-12).join('\n');
          return { role, detail: `exited (${signal ?? `code ${code}`})${tail ? `\n${tail}` : ''}` };
        }
      }
      return null;
    },
    stop,
  };
}

function urlTarget(spec: Extract<TargetSpec, { kind: 'url' }>): RunningTarget {
  const u = parseTargetUrl(spec.url);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  const loadPath = `${u.pathname}${u.search}`;
  const pid = spec.pid;
  return {
    name: spec.url,
    kind: 'url',
    description: pid === null ? 'an h2c server given by URL (no pid: CPU and memory are not measured)' : `an h2c server given by URL, process ${pid}`,
    host,
    port: u.port === '' ? 80 : Number(u.port),
    authority: u.host,
    url: `http://${u.host}`,
    paths: { small: loadPath, large: spec.largePath ?? loadPath, upload: spec.uploadPath ?? loadPath },
    loadPath,
    expectStatus: spec.expectStatus,
    expectPatternBytes: null,
    roles: pid === null ? {} : { server: pid },
    attackedRole: pid === null ? null : 'server',
    restartable: false,
    gone: () => (pid !== null && !processAlive(pid) ? { role: 'server', detail: `process ${pid} is gone` } : null),
    stop: async () => {},
  };
}
