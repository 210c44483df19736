/**
 * Cache statistics shared by every process (requirement 7.4).
 *
 * The hot path only bumps in-memory counters. A timer (and `stats()`, `close()`)
 * flushes the pending increments to one Redis hash with a single MULTI of
 * HINCRBYs, so counting never adds a round trip to a request. The process also
 * keeps its own totals, which are what `stats()` reports while Redis is absent
 * or unreachable.
 */
import type { RedisClient } from "../adapters/redis/redisClient";
import { CacheTypes } from "../ports/cache";
import type { CacheStats, CacheTypeStats } from "../ports/cache";

export const STAT_METRICS = ["hits", "misses", "sets", "invalidations", "errors"] as const;
export type StatMetric = (typeof STAT_METRICS)[number];
export type StatCounters = Map<string, CacheTypeStats>;

export class StatsRecorder {
  private totals: StatCounters = new Map();
  private pending: StatCounters = new Map();

  record(bucket: string, metric: StatMetric, count = 1): void {
    bump(this.totals, bucket, metric, count);
    bump(this.pending, bucket, metric, count);
  }

  get hasPending(): boolean {
    return this.pending.size > 0;
  }

  /** Sends pending increments; on failure they stay pending for the next flush. */
  async flush(redis: RedisClient, statsKey: string): Promise<void> {
    const batch = this.pending;
    if (batch.size === 0) return;
    this.pending = new Map();
    try {
      const transaction = redis.multi();
      for (const [bucket, counters] of batch) {
        for (const metric of STAT_METRICS) {
          if (counters[metric] !== 0) transaction.hincrby(statsKey, `${bucket}:${metric}`, counters[metric]);
        }
      }
      const replies = await transaction.exec();
      if (!replies) throw new Error("stats transaction aborted");
      const failed = replies.find(([error]) => error);
      if (failed?.[0]) throw failed[0];
    } catch (error) {
      for (const [bucket, counters] of batch) {
        for (const metric of STAT_METRICS) bump(this.pending, bucket, metric, counters[metric]);
      }
      throw error;
    }
  }

  async readShared(redis: RedisClient, statsKey: string): Promise<StatCounters> {
    return parseStatsHash(await redis.hgetall(statsKey));
  }

  localTotals(): StatCounters {
    return this.totals;
  }

  resetLocal(): void {
    this.totals = new Map();
    this.pending = new Map();
  }
}

function bump(counters: StatCounters, bucket: string, metric: StatMetric, count: number): void {
  let entry = counters.get(bucket);
  if (!entry) {
    entry = emptyCounters();
    counters.set(bucket, entry);
  }
  entry[metric] += count;
}

function emptyCounters(): CacheTypeStats {
  return { hits: 0, misses: 0, sets: 0, invalidations: 0, errors: 0 };
}

/** Hash fields `<bucket>:<metric>` -> counters; unknown metrics are ignored. */
export function parseStatsHash(hash: Record<string, string>): StatCounters {
  const counters: StatCounters = new Map();
  for (const [field, value] of Object.entries(hash)) {
    const parsed = parseStatsField(field);
    if (parsed) bump(counters, parsed.bucket, parsed.metric, Number(value) || 0);
  }
  return counters;
}

export function parseStatsField(field: string): { bucket: string; metric: StatMetric } | null {
  const colon = field.lastIndexOf(":");
  if (colon <= 0) return null;
  const metric = field.slice(colon + 1);
  if (!(STAT_METRICS as readonly string[]).includes(metric)) return null;
  return { bucket: field.slice(0, colon), metric: metric as StatMetric };
}

/**
 * Totals and rates. hitRate = hits / (hits + misses); totalOperations counts
 * reads, writes and invalidations (hits + misses + sets + invalidations).
 */
export function summarizeStats(counters: StatCounters, layers: string): CacheStats {
  const totals = emptyCounters();
  const byType: CacheStats["byType"] = {};
  const buckets = [...new Set<string>([...CacheTypes, ...counters.keys()])];
  for (const bucket of buckets) {
    const entry = counters.get(bucket) ?? emptyCounters();
    for (const metric of STAT_METRICS) totals[metric] += entry[metric];
    byType[bucket] = { ...entry, hitRate: rate(entry.hits, entry.hits + entry.misses) };
  }
  const reads = totals.hits + totals.misses;
  return {
    hitRate: rate(totals.hits, reads),
    missRate: rate(totals.misses, reads),
    ...totals,
    totalOperations: reads + totals.sets + totals.invalidations,
    byType,
    layers,
  };
}

function rate(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}
