/**
 * The store's figures as one structured log line every minute (requirement 8
 * translated): the same numbers `GET /monitoring/db` gives, so a log search
 * shows them over time even where nobody polls the endpoint. The timer is
 * unref'd: it never keeps a process alive.
 */
import type { Store } from "../adapters/libsql/store";
import type { AppLogger } from "./logger";
import { logger as defaultLogger } from "./logger";

export function logStoreStats(store: Store, log: AppLogger = defaultLogger): void {
  const s = store.stats.snapshot();
  log.info("store stats", {
    operations: s.operations,
    errors: s.errors,
    inFlight: s.inFlight,
    waiting: s.waiting,
    maxConcurrency: s.maxConcurrency,
    latencyP50Ms: s.latencyMs.p50,
    latencyP95Ms: s.latencyMs.p95,
    healthChecks: s.healthChecks,
    busyRetries: s.busyRetries,
    writeTransactions: s.writeTransactions,
    writeLockMs: Math.round(s.writeLockMs),
    riders: s.riders,
    lastError: s.lastError,
  });
}

/** Starts the periodic line; returns the function that stops it. */
export function startStoreStatsLog(store: Store, intervalMs = 60_000, log: AppLogger = defaultLogger): () => void {
  const timer = setInterval(() => logStoreStats(store, log), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
