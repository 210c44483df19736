/**
 * What people read and search most, for cache warming (requirement 7.5).
 * Counting in the request path must not cost a write per read, so counts are
 * kept in memory and added to the store in one write every few seconds.
 */
import { desc, sql } from "drizzle-orm";
import { queryStats, resourceStats } from "../adapters/libsql/schema";
import type { Store } from "../adapters/libsql/store";
import { logger } from "../observability/logger";

export class PopularityCounter {
  #reads = new Map<string, number>();
  #queries = new Map<string, { query: string; mode: string; count: number }>();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {}

  resourceRead(id: string): void {
    this.#reads.set(id, (this.#reads.get(id) ?? 0) + 1);
  }

  queryRun(query: string, mode: string): void {
    const key = `${mode}\u0000${query}`;
    const entry = this.#queries.get(key) ?? { query, mode, count: 0 };
    entry.count++;
    this.#queries.set(key, entry);
  }

  /** Flushes every `ms` (unref'd: never keeps a process alive). */
  start(ms = 5_000): void {
    this.#timer ??= setInterval(() => void this.flush(), ms);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#reads.size === 0 && this.#queries.size === 0) return;
    const reads = this.#reads;
    const queries = this.#queries;
    this.#reads = new Map();
    this.#queries = new Map();
    const now = new Date().toISOString();
    try {
      await this.store.write(async (tx) => {
        for (const [resourceId, n] of reads) {
          // Only for a resource that still exists: a read counted before a deletion must not bring its statistics back.
          await tx.run(sql`INSERT INTO resource_stats (resource_id, reads) SELECT id, ${n} FROM resources WHERE id = ${resourceId}
            ON CONFLICT (resource_id) DO UPDATE SET reads = reads + excluded.reads`);
        }
        for (const q of queries.values()) {
          await tx
            .insert(queryStats)
            .values({ query: q.query, mode: q.mode, count: q.count, lastAt: now })
            .onConflictDoUpdate({ target: [queryStats.query, queryStats.mode], set: { count: sql`${queryStats.count} + ${q.count}`, lastAt: now } });
        }
      });
    } catch (e) {
      // Popularity only steers warming; losing one interval of counts is harmless.
      logger.warn("popularity flush failed", { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

export async function mostReadResources(store: Store, limit: number): Promise<string[]> {
  const rows = await store.db.select({ id: resourceStats.resourceId }).from(resourceStats).orderBy(desc(resourceStats.reads)).limit(limit);
  return rows.map((r) => r.id);
}

export async function mostFrequentQueries(store: Store, limit: number): Promise<Array<{ query: string; mode: string }>> {
  return store.db.select({ query: queryStats.query, mode: queryStats.mode }).from(queryStats).orderBy(desc(queryStats.count)).limit(limit);
}
