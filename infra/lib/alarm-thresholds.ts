/**
 * Alarm thresholds derived from a route, so a slow-by-design queue (a 60 s
 * delay, a 30 s batch window, minutes of retry backoff) does not page anyone
 * while a stuck one does.
 */
import type { Route } from "@shared/events/routing";
import type { DegradedMode } from "@shared/observability/degradedModes";

/** Longest a healthy message may wait: its delay and window, every attempt's timeout and backoff, plus slack. */
export function oldestMessageAgeThresholdSeconds(route: Route, slackSeconds = 300): number {
  const attempts = route.maxRetries + 1;
  let backoff = 0;
  // attempt n waits base * 2^(n-1) before it becomes visible again (jitter stays below that bound)
  for (let n = 1; n <= route.maxRetries; n++) backoff += route.retryBaseSeconds * 2 ** (n - 1);
  return route.delaySeconds + route.batchWindowSeconds + attempts * route.timeoutSeconds + backoff + slackSeconds;
}

/** Percentage of failed invocations over which a function alarm fires. */
export const FUNCTION_ERROR_RATE_PERCENT = 5;

/**
 * When a degraded mode pages someone: more than `perFiveMinutes` occurrences
 * in each of `periods` consecutive five-minute periods. A single fall-back is
 * by design (the system stays correct); a sustained one means a part is broken.
 */
export interface DegradedAlarm {
  perFiveMinutes: number;
  periods: number;
  /** What it means and where to look (alarm description). */
  meaning: string;
}

export const DEGRADED_ALARMS: Record<DegradedMode, DegradedAlarm> = {
  "coarse-search-invalidation": {
    perFiveMinutes: 20,
    periods: 3,
    meaning: "Search-cache invalidation keeps falling back to coarse: every index update empties the keyword (or vector) search cache. Check term extraction (libSQL) and the result registry (Redis).",
  },
  "redis-unavailable": {
    perFiveMinutes: 0,
    periods: 3,
    meaning: "Cache operations have been going without Redis for 15 minutes: every read hits the store and invalidations are re-queued. Check the Valkey cache and the functions' network path to it.",
  },
  "embedder-throttled": {
    perFiveMinutes: 10,
    periods: 3,
    meaning: "Bedrock keeps throttling the embedding model: embeddings lag and tasks retry. Raise the model's quota or lower the embedding route's concurrency.",
  },
};
