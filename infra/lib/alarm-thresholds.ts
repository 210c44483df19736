/**
 * Alarm thresholds derived from a route, so a slow-by-design queue (a 60 s
 * delay, a 30 s batch window, minutes of retry backoff) does not page anyone
 * while a stuck one does.
 */
import type { Route } from "../../shared/src/events/routing";

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
