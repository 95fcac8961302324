/**
 * The network conditions of a point, leg by leg: the scenario's `network` with the point's swept values
 * (tunnelRttMs …) over it. A leg is present — a shaping relay stands in it — when the scenario names it or
 * sweeps one of its axes, even where the values are 0 ms and unlimited: the points of a sweep then all pay
 * the relay's own hop, and compare like with like.
 */
import type { NetworkLeg } from '../measure/results.ts';
import type { Params } from './groups.ts';
import { type Axis, LEG_APPLIES, type Leg, type LegSpec, type Scenario, type SystemSpec } from './schema.ts';

export { LEG_APPLIES, type Leg };

/** In the order a request crosses them. */
export const LEGS: readonly Leg[] = ['client', 'tunnel', 'origin'];

/** A leg's conditions at one point: as a point's results record them (PointResult.network). */
export type LegConditions = NetworkLeg;

/** What shapes a scenario's legs: its `network.mechanism`, the relay by default. */
export function mechanismOf(network: Scenario['network']): 'relay' | 'kernel' {
  return network?.mechanism ?? 'relay';
}

/** The sweep axes of each leg. */
export const LEG_AXES: Record<Leg, { rtt: Axis; mbit: Axis }> = {
  client: { rtt: 'clientRttMs', mbit: 'clientMbit' },
  tunnel: { rtt: 'tunnelRttMs', mbit: 'tunnelMbit' },
  origin: { rtt: 'originRttMs', mbit: 'originMbit' },
};

/** Whether a system has this leg (an origin has no tunnel; only tunnels have a connector ↔ origin leg). */
export function hasLeg(system: Pick<SystemSpec, 'kind'>, leg: Leg): boolean {
  return (LEG_APPLIES[leg] as readonly string[]).includes(system.kind);
}

/** Which legs a system has at a point, and their conditions; empty without network conditions. */
export function legsAt(network: Scenario['network'], system: Pick<SystemSpec, 'kind'>, params: Params): Partial<Record<Leg, LegConditions>> {
  const out: Partial<Record<Leg, LegConditions>> = {};
  for (const leg of LEGS) {
    const given: Partial<LegSpec> | undefined = network?.[leg];
    const { rtt, mbit } = LEG_AXES[leg];
    if (given === undefined && params[rtt] === undefined && params[mbit] === undefined) continue;
    if (!hasLeg(system, leg)) continue;
    out[leg] = {
      rttMs: params[rtt] ?? given?.rttMs ?? 0,
      jitterMs: given?.jitterMs ?? 0,
      mbit: params[mbit] ?? given?.mbit ?? 0,
      ...(given?.bufferBytes !== undefined ? { bufferBytes: given.bufferBytes } : {}),
      ...(given?.lossPct ? { lossPct: given.lossPct } : {}),
    };
  }
  return out;
}
