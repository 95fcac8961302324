/**
 * Where attack traffic may go. The suite floods, stalls and crashes servers; it is a harness for servers on
 * this machine, so anything that does not resolve to a loopback address is refused unless the user says
 * --allow-remote explicitly. Every address a name resolves to must be loopback: a name that resolves to
 * one loopback and one public address is not "local".
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AttackInputError } from './errors.ts';

export function isLoopbackAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return address.startsWith('127.');
  if (family === 6) {
    const a = address.toLowerCase();
    if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
    // IPv4-mapped loopback, ::ffff:127.x.y.z
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
    return mapped !== null && mapped[1]!.startsWith('127.');
  }
  return false;
}

/** Resolves `host` (an IP literal or a name) and refuses it unless every address is loopback or `allowRemote`. */
export async function checkAttackHost(host: string, allowRemote: boolean): Promise<void> {
  if (allowRemote) return;
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  let addresses: string[];
  if (isIP(bare) !== 0) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true })).map((a) => a.address);
    } catch (err) {
      throw new AttackInputError('MUX_ERR_ATTACK_TARGET', `cannot resolve target host '${bare}': ${(err as Error).message}`);
    }
  }
  const remote = addresses.filter((a) => !isLoopbackAddress(a));
  if (addresses.length === 0 || remote.length > 0) {
    throw new AttackInputError(
      'MUX_ERR_ATTACK_REMOTE',
      `refusing to attack '${bare}'${remote.length === 1 && remote[0] === bare ? '' : ` (${remote.join(', ') || 'no address'})`}: not a loopback address. ` +
        'Attack traffic goes only to 127.0.0.1 / ::1 unless you pass --allow-remote — and only against servers you are allowed to overload.',
    );
  }
}
