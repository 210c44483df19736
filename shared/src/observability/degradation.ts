/**
 * Degraded modes: the places that do less instead of failing, counted so they
 * are never silent (docs/architecture.md, "Degraded modes are counted"). Each one is reported where it happens
 * with `reportDegraded`; the composition root decides where the counts go
 * (EMF metric `Degraded` with dimension `Mode` on AWS, `alexandria_degraded`
 * in Prometheus and `/monitoring/degraded` locally), so the code that
 * degrades knows nothing about metrics.
 *
 * - `coarse-search-invalidation`: a change invalidated every cached search
 *   result of a kind instead of only the affected ones (term extraction or the
 *   result registry failed, or too many terms changed). Correct, but the
 *   search cache's hit rate collapses if it keeps happening.
 * - `redis-unavailable`: a cache operation skipped Redis (unreachable, a
 *   command failed, or an invalidation had to be re-queued). Requests still
 *   succeed; every read goes to the store.
 * - `embedder-throttled`: the embedding model refused a call for capacity;
 *   the task is retried later, so vectors (and semantic search) lag.
 *
 * @example
 * reportDegraded(DegradedModes.redisUnavailable, "GET timed out");
 */
import { logger } from "./logger";
import { ALL_DEGRADED_MODES, type DegradedMode } from "./degradedModes";

export { ALL_DEGRADED_MODES, DEGRADED_METRIC, DegradedModes, type DegradedMode } from "./degradedModes";

type Listener = (mode: DegradedMode) => void;

const listeners = new Set<Listener>();
const totals = new Map<DegradedMode, number>(ALL_DEGRADED_MODES.map((m) => [m, 0]));
const lastLoggedAt = new Map<DegradedMode, number>();
/** One warning per mode per this interval: an outage must not flood the logs. */
const LOG_EVERY_MS = 30_000;

/** Counts one occurrence of `mode` and tells the listeners; `why` goes to the (rate-limited) log. */
export function reportDegraded(mode: DegradedMode, why: string): void {
  totals.set(mode, (totals.get(mode) ?? 0) + 1);
  const now = Date.now();
  if (now - (lastLoggedAt.get(mode) ?? -Infinity) >= LOG_EVERY_MS) {
    lastLoggedAt.set(mode, now);
    logger.warn("degraded mode", { mode, why, countInThisProcess: totals.get(mode) });
  }
  for (const listener of listeners) {
    try {
      listener(mode);
    } catch {
      // A broken metrics sink must not turn a degraded mode into a failure.
    }
  }
}

/** Calls `listener` for every degraded occurrence from now on; returns the unsubscribe function. */
export function onDegraded(listener: Listener): () => void {
  listeners.add(listener);
  return () => void listeners.delete(listener);
}

/** Occurrences of each mode in this process since it started. */
export function degradedTotals(): Record<DegradedMode, number> {
  return Object.fromEntries(ALL_DEGRADED_MODES.map((m) => [m, totals.get(m) ?? 0])) as Record<DegradedMode, number>;
}

/** Sums per-process totals (this process and the workers' reports). */
export function sumDegraded(parts: ReadonlyArray<Partial<Record<DegradedMode, number>>>): Record<DegradedMode, number> {
  const out = Object.fromEntries(ALL_DEGRADED_MODES.map((m) => [m, 0])) as Record<DegradedMode, number>;
  for (const part of parts) for (const m of ALL_DEGRADED_MODES) out[m] += part[m] ?? 0;
  return out;
}
