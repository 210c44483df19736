/**
 * Cache cleanup (requirement 6.4, daily 04:00 UTC): the cache's own cleanup
 * (orphaned and expired entries, compacted stats) when the cache has one,
 * then the store's bookkeeping that only grows: the task ledger, published
 * outbox rows, the job log and read counters of deleted resources.
 */
import { and, lt, notInArray, sql } from "drizzle-orm";
import { jobRuns, taskRuns } from "../adapters/libsql/schema";
import { errorMessage } from "../errors";
import { logger } from "../observability/logger";
import type { AppContext } from "../app/context";
import type { JobDefinition } from "./types";

const HOUR = 3600_000;
const DAY = 24 * HOUR;

export interface CacheCleanupOptions {
  /** Task ledger rows older than this go (default 7 days). */
  taskRunRetentionMs?: number;
  /** Published outbox rows older than this go (default 1 day). */
  outboxRetentionMs?: number;
  /** Job log rows older than this go, except each job's latest (default 30 days). */
  jobRunRetentionMs?: number;
}

/** Requirement 4.6: task results are kept for an hour; no setting may prune the ledger sooner. */
export const MIN_TASK_RUN_RETENTION_MS = HOUR;

export const DEFAULT_CLEANUP_RETENTION = {
  taskRunRetentionMs: 7 * DAY,
  outboxRetentionMs: DAY,
  jobRunRetentionMs: 30 * DAY,
} as const;

async function cleanCache(app: AppContext): Promise<unknown> {
  // The cache port does not promise a cleanup; the two-layer cache offers one.
  const cache = app.cache as { cleanup?: unknown };
  if (typeof cache.cleanup !== "function") return { supported: false };
  try {
    const result: unknown = await (cache.cleanup as () => Promise<unknown>).call(app.cache);
    return result ?? { supported: true };
  } catch (e) {
    // Redis down must not stop the store's pruning; the summary says what happened.
    logger.warn("cache cleanup failed", { error: errorMessage(e) });
    return { supported: true, error: errorMessage(e) };
  }
}

export function createCacheCleanupJob(options: CacheCleanupOptions = {}): JobDefinition {
  const taskRunRetentionMs = Math.max(MIN_TASK_RUN_RETENTION_MS, options.taskRunRetentionMs ?? DEFAULT_CLEANUP_RETENTION.taskRunRetentionMs);
  const outboxRetentionMs = options.outboxRetentionMs ?? DEFAULT_CLEANUP_RETENTION.outboxRetentionMs;
  const jobRunRetentionMs = options.jobRunRetentionMs ?? DEFAULT_CLEANUP_RETENTION.jobRunRetentionMs;
  return {
    name: "cache-cleanup",
    async run(app) {
      const cache = await cleanCache(app);
      const now = Date.now();
      const taskCutoff = new Date(now - taskRunRetentionMs).toISOString();
      const jobCutoff = new Date(now - jobRunRetentionMs).toISOString();

      const taskRunsPruned = await app.store.write((tx) => tx.delete(taskRuns).where(lt(taskRuns.startedAt, taskCutoff)));
      const outboxPruned = await app.relay.prune(outboxRetentionMs);
      const jobRunsPruned = await app.store.write(async (tx) => {
        // Each job's latest run survives, so "when did X last run" always has an answer.
        const latest = tx.select({ id: sql<number>`max(${jobRuns.id})` }).from(jobRuns).groupBy(jobRuns.job);
        return tx.delete(jobRuns).where(and(lt(jobRuns.startedAt, jobCutoff), notInArray(jobRuns.id, latest)));
      });
      const statsPruned = await app.store.write((tx) => tx.run(sql`DELETE FROM resource_stats WHERE resource_id NOT IN (SELECT id FROM resources)`));

      return {
        cache,
        taskRunsPruned: taskRunsPruned.rowsAffected,
        outboxPruned,
        jobRunsPruned: jobRunsPruned.rowsAffected,
        orphanedResourceStatsPruned: statsPruned.rowsAffected,
        retention: { taskRunsHours: taskRunRetentionMs / HOUR, outboxHours: outboxRetentionMs / HOUR, jobRunsDays: jobRunRetentionMs / DAY },
      };
    },
  };
}

export const cacheCleanupJob = createCacheCleanupJob();
