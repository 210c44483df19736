/**
 * The degraded modes and their metric, as pure data: the code reports them
 * (degradation.ts), the CDK dashboard and alarms read them (infra/), so a mode
 * added here shows up in both without retyping its name.
 */
export const DegradedModes = {
  coarseSearchInvalidation: "coarse-search-invalidation",
  redisUnavailable: "redis-unavailable",
  embedderThrottled: "embedder-throttled",
} as const;
export type DegradedMode = (typeof DegradedModes)[keyof typeof DegradedModes];
export const ALL_DEGRADED_MODES: readonly DegradedMode[] = Object.values(DegradedModes);

/** The EMF metric: namespace NeoAlexandria, dimensions `service` and `Mode`, one count per occurrence. */
export const DEGRADED_METRIC = "Degraded";
