/**
 * The dashboard's charts over the last hour (issue 18). Two sources:
 *
 * - per-minute counts the store already keeps: resources added (ingest rate)
 *   and task runs that finished, per task and outcome (the task ledger);
 * - a sampler for figures that are only ever "now" (queue and DLQ depths,
 *   freshness lag, cache hit rate): it reads them every `intervalMs` and keeps
 *   the last hour in memory. It runs in the process that serves the API; each
 *   sample is also stored (`monitoring_samples`, a small grouped write, pruned
 *   to the window), and a new sampler starts from the stored hour, so a restart
 *   leaves a gap in the charts, not an empty chart.
 */
import type { Client } from "@libsql/client";
import { lt } from "drizzle-orm";
import { monitoringSamples, RESOURCES_NOT_CURRENT } from "../adapters/libsql/schema";
import type { AppContext } from "./context";
import type { SeriesSample } from "../observability/runtime";

export type { SeriesSample };
import { cacheStats, queueStatus } from "./monitoring";
import { errorMessage } from "../errors";
import { logger } from "../observability/logger";

export const SERIES_WINDOW_MINUTES = 60;

export interface MinuteCount {
  /** Minute start, ISO (`2026-12-06T07:41:00.000Z`). */
  t: string;
  count: number;
}

export interface SeriesAnswer {
  windowMinutes: number;
  since: string;
  /** Resources added per minute. */
  ingest: MinuteCount[];
  /** Task runs finished per minute, per task, by outcome ("succeeded", "failed", ...). */
  completions: Record<string, Record<string, MinuteCount[]>>;
  /** The sampler's readings, oldest first (empty where no sampler runs). */
  samples: SeriesSample[];
  sampleIntervalMs: number | null;
}

/** Nearest-rank percentile of sorted numbers; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

/**
 * The lag figures' statements. Both read only the partial index of the resources not yet current
 * (migration 0021): their cost follows how many are lagging, not the library's size, and no row's large
 * text columns are walked. The sampler runs on the API's loop and the driver is synchronous.
 */
export function lagQueries(): [count: string, nth: string] {
  const where = `WHERE ${RESOURCES_NOT_CURRENT}`;
  return [`SELECT count(*) AS n FROM resources ${where}`, `SELECT updated_at FROM resources ${where} ORDER BY updated_at DESC LIMIT 1 OFFSET ?`];
}

/**
 * Freshness lag of the resources not yet current: nearest-rank p50 / p99 of the seconds since each last
 * changed, and how many there are. The k-th smallest lag is the k-th newest `updated_at` (ISO strings order
 * as times), read from the index by rank instead of listing every lagging row.
 */
export async function lagFigures(client: Pick<Client, "execute">, now = Date.now()): Promise<{ p50: number; p99: number; lagging: number }> {
  const [count, nth] = lagQueries();
  const lagging = Number((await client.execute(count)).rows[0]?.n ?? 0);
  if (lagging === 0) return { p50: 0, p99: 0, lagging: 0 };
  const lagAt = async (p: number) => {
    const rank = Math.min(lagging, Math.max(1, Math.ceil((p / 100) * lagging)));
    const row = (await client.execute({ sql: nth, args: [rank - 1] })).rows[0];
    // A row that became current between the two reads: its rank moved; the oldest left is close enough.
    return row ? round(Math.max(0, (now - Date.parse(String(row.updated_at))) / 1000)) : 0;
  };
  return { p50: await lagAt(50), p99: await lagAt(99), lagging };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

export class SeriesSampler {
  private readonly samples: SeriesSample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last: { hits: number; misses: number } | undefined;
  private running: Promise<void> | undefined;
  /** The stored samples of the window, read once before the first new one is added. */
  private restored: Promise<void> | undefined;

  constructor(
    private readonly app: AppContext,
    readonly intervalMs: number,
    private readonly keepMs = SERIES_WINDOW_MINUTES * 60_000,
  ) {}

  start(): void {
    this.restored ??= this.restore();
    void this.sampleNow();
    this.timer = setInterval(() => void this.sampleNow(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  list(): SeriesSample[] {
    return this.samples.slice();
  }

  /** Takes one sample (skipped while the previous one is still being read). */
  sampleNow(): Promise<void> {
    this.running ??= this.take().finally(() => (this.running = undefined));
    return this.running;
  }

  /** Loads the stored samples of the window (oldest first), before any taken by this process. */
  private async restore(): Promise<void> {
    try {
      const since = new Date(Date.now() - this.keepMs).toISOString();
      const rows = await this.app.store.client.execute({ sql: "SELECT sample FROM monitoring_samples WHERE t >= ? ORDER BY t", args: [since] });
      const stored = rows.rows.map((r) => JSON.parse(String(r.sample)) as SeriesSample);
      const first = this.samples[0]?.t;
      this.samples.unshift(...stored.filter((x) => first === undefined || x.t < first));
    } catch (e) {
      logger.warn("stored monitoring samples not read", { error: errorMessage(e) });
    }
  }

  private async persist(sample: SeriesSample, oldest: string): Promise<void> {
    try {
      await this.app.store.writeGrouped(async (tx) => {
        await tx.insert(monitoringSamples).values({ t: sample.t, sample }).onConflictDoNothing();
        await tx.delete(monitoringSamples).where(lt(monitoringSamples.t, oldest));
      });
    } catch (e) {
      // The chart still has it in memory; only a restart would lose it.
      logger.warn("monitoring sample not stored", { error: errorMessage(e) });
    }
  }

  private async take(): Promise<void> {
    await this.restored;
    try {
      // Depths only: the charts show no message ages, and on fauxqs each age is a queue's whole message list
      // parsed on this (the API's) loop — with the sampler on, /health stalled for up to a second during an import.
      const [queues, lag, cache] = await Promise.all([queueStatus(this.app, { ages: false }), lagFigures(this.app.store.client), cacheStats(this.app)]);
      const dHits = cache.hits - (this.last?.hits ?? 0);
      const dMisses = cache.misses - (this.last?.misses ?? 0);
      this.last = { hits: cache.hits, misses: cache.misses };
      const sum = (...xs: Array<number | null>) => (xs.every((x) => x === null) ? null : xs.reduce<number>((a, x) => a + (x ?? 0), 0));
      const sample: SeriesSample = {
        t: new Date().toISOString(),
        queues: Object.fromEntries(queues.items.map((q) => [q.task, { depth: sum(q.visible, q.delayed, q.inFlight), dlq: q.dlqDepth }])),
        lagP50: lag.p50,
        lagP99: lag.p99,
        lagging: lag.lagging,
        cacheHitRate: dHits + dMisses > 0 ? dHits / (dHits + dMisses) : null,
      };
      this.samples.push(sample);
      const oldest = Date.now() - this.keepMs;
      while (this.samples.length > 0 && Date.parse(this.samples[0]!.t) < oldest) this.samples.shift();
      await this.persist(sample, new Date(oldest).toISOString());
    } catch (e) {
      // A missed sample is a gap in a chart, not a fault.
      logger.warn("monitoring sample failed", { error: errorMessage(e) });
    }
  }
}

/** Per-minute counts from the store plus the sampler's readings, over the last `windowMinutes`. */
export async function monitoringSeries(app: AppContext, options: { windowMinutes?: number } = {}): Promise<SeriesAnswer> {
  const windowMinutes = options.windowMinutes ?? SERIES_WINDOW_MINUTES;
  const since = new Date(Date.now() - windowMinutes * 60_000).toISOString();
  const minute = (col: string) => `substr(${col}, 1, 16) || ':00.000Z'`;
  const [ingest, runs] = await Promise.all([
    app.store.client.execute({ sql: `SELECT ${minute("created_at")} AS t, count(*) AS n FROM resources WHERE created_at >= ? GROUP BY 1 ORDER BY 1`, args: [since] }),
    app.store.client.execute({
      sql: `SELECT ${minute("finished_at")} AS t, task, status, count(*) AS n FROM task_runs
            WHERE started_at >= ? AND finished_at IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1`,
      args: [since],
    }),
  ]);
  const completions: SeriesAnswer["completions"] = {};
  for (const r of runs.rows) ((completions[String(r.task)] ??= {})[String(r.status)] ??= []).push({ t: String(r.t), count: Number(r.n) });
  const sampler = app.runtime?.series;
  return {
    windowMinutes,
    since,
    ingest: ingest.rows.map((r) => ({ t: String(r.t), count: Number(r.n) })),
    completions,
    samples: sampler ? sampler.list().filter((s) => s.t >= since) : [],
    sampleIntervalMs: sampler?.intervalMs ?? null,
  };
}
