/**
 * Monitoring use cases (requirements 8, 11): what the system is doing, what
 * failed and why, and what is stale. Each answers from the source of truth for
 * its figure: the task ledger and resource revisions in the store, queue
 * attributes from SQS, event history from Redis (or this process), pollers
 * from this process, function health from CloudWatch.
 */
import { and, desc, eq, type SQL } from "drizzle-orm";
import { resources, taskRuns, type TaskStatus } from "../adapters/libsql/schema";
import { behindSql, DERIVED, DERIVED_NAMES, type ComputedFromField, type DerivedName, type RevisionField } from "../domain/derived";
import type { EmittedEvent } from "../events/emitter";
import { priorityName } from "../events/priority";
import { isRedisReady, waitForRedisReady, type RedisClient } from "../adapters/redis/redisClient";
import { errorMessage } from "../errors";
import type { CacheStats } from "../ports/cache";
import type { StoreStatsSnapshot } from "../adapters/libsql/storeStats";
import type { ConsumerStats } from "../ports/consumers";
import { filterHistory, historyKey, processRedis, readRedisHistory, type HistoryFilter, type HistorySinkStats } from "../observability/redisHistory";
import { readQueueFigures, type QueueFigures } from "../observability/queueFigures";
import type { CacheServiceStatus, FunctionHealth } from "../observability/runtime";
import type { WorkerReport } from "../observability/workerRegistry";
import type { PooledWorker, WorkerFigures } from "../observability/runtime";
import type { AppContext } from "./context";

/**
 * The Redis client monitoring reads with: the runtime's, or (for an app
 * assembled without a runtime) the process-wide one. Undefined without REDIS_URL.
 */
function redisOf(app: AppContext): RedisClient | undefined {
  return app.runtime ? app.runtime.redis : processRedis(app.config);
}

// ---------------------------------------------------------------- events

export interface EventItem extends EmittedEvent {
  priorityName: string;
}

export interface EventsAnswer {
  /** "redis": shared by every process; "process": this process only (Redis absent or unreachable). */
  source: "redis" | "process";
  items: EventItem[];
  redisError?: string;
  history?: HistorySinkStats;
}

export async function recentEvents(app: AppContext, filter: HistoryFilter = {}): Promise<EventsAnswer> {
  const withName = (e: EmittedEvent): EventItem => ({ ...e, priorityName: priorityName(e.priority) });
  const history = app.runtime?.history?.stats;
  const redis = redisOf(app);
  let redisError: string | undefined;
  if (redis) {
    try {
      // The client fails fast while connecting; a fresh process waits briefly for its first connection.
      if (!isRedisReady(redis)) await waitForRedisReady(redis, 500);
      const items = await readRedisHistory(redis, historyKey(app.config), filter);
      return { source: "redis", items: items.map(withName), ...(history ? { history } : {}) };
    } catch (e) {
      redisError = errorMessage(e);
    }
  }
  const items = filterHistory(app.emitter.history(), filter).map(withName);
  return { source: "process", items, ...(redisError ? { redisError } : {}), ...(history ? { history } : {}) };
}

// ---------------------------------------------------------------- task ledger

export interface TaskRunFilter {
  task?: string;
  resourceId?: string;
  status?: TaskStatus;
  correlationId?: string;
  limit?: number;
}

export async function listTaskRuns(app: AppContext, filter: TaskRunFilter = {}) {
  const where: SQL[] = [];
  if (filter.task) where.push(eq(taskRuns.task, filter.task));
  if (filter.resourceId) where.push(eq(taskRuns.resourceId, filter.resourceId));
  if (filter.status) where.push(eq(taskRuns.status, filter.status));
  if (filter.correlationId) where.push(eq(taskRuns.correlationId, filter.correlationId));
  const items = await app.store.db
    .select()
    .from(taskRuns)
    .where(where.length > 0 ? and(...where) : undefined)
    .orderBy(desc(taskRuns.id))
    .limit(Math.min(Math.max(1, filter.limit ?? 50), 1000));
  return { items };
}

export interface TaskSummaryRow {
  task: string;
  status: string;
  count: number;
  p50Ms: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

/**
 * Counts and nearest-rank p50/p95 durations per task and outcome over the last
 * `windowMinutes`, computed in SQL (window functions) so the ledger is not
 * shipped to the process.
 */
export async function taskSummary(app: AppContext, options: { windowMinutes?: number } = {}) {
  const windowMinutes = options.windowMinutes ?? 60;
  const since = new Date(Date.now() - windowMinutes * 60_000).toISOString();
  const res = await app.store.client.execute({
    sql: `WITH w AS (
            SELECT task, status, duration_ms AS d,
                   ROW_NUMBER() OVER (PARTITION BY task, status ORDER BY duration_ms) AS rn,
                   COUNT(*) OVER (PARTITION BY task, status) AS n
            FROM task_runs
            WHERE started_at >= ? AND duration_ms IS NOT NULL
          )
          SELECT task, status, MAX(n) AS count,
                 MIN(CASE WHEN rn >= (n * 50 + 99) / 100 THEN d END) AS p50,
                 MIN(CASE WHEN rn >= (n * 95 + 99) / 100 THEN d END) AS p95,
                 MAX(d) AS max
          FROM w GROUP BY task, status ORDER BY task, status`,
    args: [since],
  });
  const items: TaskSummaryRow[] = res.rows.map((r) => ({
    task: String(r.task),
    status: String(r.status),
    count: Number(r.count),
    p50Ms: r.p50 === null ? null : round(Number(r.p50)),
    p95Ms: r.p95 === null ? null : round(Number(r.p95)),
    maxMs: r.max === null ? null : round(Number(r.max)),
  }));
  const totals: Record<string, Record<string, number>> = {};
  for (const i of items) (totals[i.task] ??= {})[i.status] = i.count;
  return { windowMinutes, since, items, totals };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// ---------------------------------------------------------------- queues and workers

export async function queueStatus(app: AppContext, options: { ages?: boolean } = {}): Promise<{ items: QueueFigures[]; runtime: string; taskMode: string }> {
  if (!app.runtime) return { items: [], runtime: "none", taskMode: app.config.taskMode };
  return { items: await readQueueFigures(app.runtime, app.routes, options), runtime: app.runtime.kind, taskMode: app.config.taskMode };
}

export interface WorkersAnswer {
  runtime: string;
  taskMode: string;
  /** This process's pollers. */
  pollers?: ConsumerStats[];
  /** Other local processes' pollers, as they report them through Redis. */
  otherProcesses?: WorkerReport[];
  /** `npm start`: each worker process (pid, state, restarts, tasks done, busy share, memory). */
  workers?: PooledWorker[];
  /** `npm start`: the API process itself. */
  api?: WorkerFigures | null;
  functions?: FunctionHealth[];
  error?: string;
}

export async function workerStatus(app: AppContext): Promise<WorkersAnswer> {
  const base = { runtime: app.runtime?.kind ?? "none", taskMode: app.config.taskMode };
  const runtime = app.runtime;
  if (!runtime) return base;
  const out: WorkersAnswer = { ...base };
  // Copies: the pollers keep mutating their own objects.
  if (runtime.pollers) out.pollers = runtime.pollers().map((p) => ({ ...p }));
  if (runtime.workerPool) out.workers = runtime.workerPool();
  if (runtime.apiProcess) out.api = runtime.apiProcess();
  if (runtime.reportedWorkers) {
    try {
      out.otherProcesses = (await runtime.reportedWorkers()).filter((w) => w.processId !== runtime.processId);
    } catch (e) {
      out.error = errorMessage(e);
    }
  }
  if (runtime.functionHealth) {
    try {
      out.functions = await runtime.functionHealth();
    } catch (e) {
      out.error = errorMessage(e);
    }
  }
  return out;
}

// ---------------------------------------------------------------- store

export interface DbAnswer {
  store: StoreStatsSnapshot;
  health: { ok: boolean; latencyMs: number; error?: string };
  outbox: { pending: number; published: number; publishFailures: number; lastError: string | null };
}

export async function dbStatus(app: AppContext): Promise<DbAnswer> {
  const [health, pending] = await Promise.all([app.store.healthCheck(), app.relay.pendingCount().catch(() => -1)]);
  return { store: app.store.stats.snapshot(), health, outbox: { pending, ...app.relay.stats } };
}

// ---------------------------------------------------------------- freshness

/** Every kind of derived data (domain/derived.ts), as a SQL condition that holds when it lags. */
const column = (field: RevisionField | ComputedFromField) => resources[field].name;
const LAG = Object.fromEntries(DERIVED_NAMES.map((d) => [d, behindSql(d, column)])) as Record<DerivedName, string>;
export type DerivedDatum = DerivedName;
const DATA = DERIVED_NAMES;
const ANY_LAG = DATA.map((d) => `(${LAG[d]})`).join(" OR ");

export interface FreshnessAnswer {
  /** Ingested resources whose derived datum is behind their current revision. */
  lagging: Record<DerivedDatum, number>;
  /** How the dashboard names each kind (domain/derived.ts). */
  labels: Record<DerivedDatum, string>;
  laggingResources: number;
  ingestion: { pending: number; processing: number; failed: number; completed: number };
  total: number;
  oldest: Array<{ id: string; updatedAt: string; lagSeconds: number; lagging: DerivedDatum[] }>;
  oldestPendingSince: string | null;
}

export async function freshness(app: AppContext, options: { limit?: number } = {}): Promise<FreshnessAnswer> {
  const limit = Math.min(Math.max(1, options.limit ?? 10), 100);
  const counts = await app.store.client.execute(
    `SELECT ${DATA.map((d) => `COALESCE(SUM(ingestion_status = 'completed' AND ${LAG[d]}), 0) AS ${d}`).join(", ")},
            COALESCE(SUM(ingestion_status = 'completed' AND (${ANY_LAG})), 0) AS anyLag,
            COALESCE(SUM(ingestion_status = 'pending'), 0) AS pending,
            COALESCE(SUM(ingestion_status = 'processing'), 0) AS processing,
            COALESCE(SUM(ingestion_status = 'failed'), 0) AS failed,
            COALESCE(SUM(ingestion_status = 'completed'), 0) AS completed,
            COUNT(*) AS total,
            MIN(CASE WHEN ingestion_status IN ('pending', 'processing') THEN created_at END) AS oldestPending
     FROM resources`,
  );
  const c = (counts.rows[0] ?? {}) as Record<string, unknown>;
  const oldest = await app.store.client.execute({
    sql: `SELECT id, updated_at, ${DATA.map((d) => `(${LAG[d]}) AS ${d}`).join(", ")}
          FROM resources WHERE ingestion_status = 'completed' AND (${ANY_LAG})
          ORDER BY updated_at ASC LIMIT ?`,
    args: [limit],
  });
  const now = Date.now();
  const lagging = Object.fromEntries(DATA.map((d) => [d, Number(c[d] ?? 0)])) as Record<DerivedDatum, number>;
  return {
    lagging,
    labels: Object.fromEntries(DATA.map((d) => [d, DERIVED[d].label])) as Record<DerivedDatum, string>,
    laggingResources: Number(c.anyLag ?? 0),
    ingestion: { pending: Number(c.pending ?? 0), processing: Number(c.processing ?? 0), failed: Number(c.failed ?? 0), completed: Number(c.completed ?? 0) },
    total: Number(c.total ?? 0),
    oldest: oldest.rows.map((r) => ({
      id: String(r.id),
      updatedAt: String(r.updated_at),
      lagSeconds: Math.max(0, Math.round((now - Date.parse(String(r.updated_at))) / 1000)),
      lagging: DATA.filter((d) => Number(r[d]) === 1),
    })),
    oldestPendingSince: c.oldestPending === null || c.oldestPending === undefined ? null : String(c.oldestPending),
  };
}

// ---------------------------------------------------------------- cache

export function cacheStats(app: AppContext): Promise<CacheStats> {
  return app.cache.stats();
}

export interface CacheHealthAnswer {
  configured: boolean;
  reachable?: boolean;
  latencyMs?: number;
  connection?: string;
  error?: string;
  service?: CacheServiceStatus | null;
  serviceError?: string;
}

/** Redis reachability and PING latency from this process's own client; on AWS, ElastiCache's description too. */
export async function cacheHealth(app: AppContext): Promise<CacheHealthAnswer> {
  const redis = redisOf(app);
  if (!redis) return { configured: false };
  const out: CacheHealthAnswer = { configured: true };
  try {
    if (!isRedisReady(redis)) await waitForRedisReady(redis, 500);
    const t0 = performance.now();
    await redis.ping();
    out.reachable = true;
    out.latencyMs = Math.round((performance.now() - t0) * 1000) / 1000;
  } catch (e) {
    out.reachable = false;
    out.error = errorMessage(e);
  }
  out.connection = redis.status;
  if (app.runtime?.cacheService) {
    try {
      out.service = await app.runtime.cacheService();
    } catch (e) {
      out.serviceError = errorMessage(e);
    }
  }
  return out;
}
