/**
 * When a load generator's own CPU makes its figures suspect. A closed-loop engine on one pinned core that
 * uses most of it can no longer push the load it was asked for: what it measured is then its limit.
 */

/** A closed-loop engine using this much of a core was the limit, not the system: the point is generator-bound. */
export const GENERATOR_BOUND_CPU = 0.9;

/**
 * From here up to GENERATOR_BOUND_CPU the engine may already be holding the load back: a point is still
 * used, but a figure quoted from it says so.
 */
export const GENERATOR_NEAR_SATURATION_CPU = 0.75;
