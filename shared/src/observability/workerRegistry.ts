/**
 * Local worker processes (`npm run worker`) have no HTTP endpoint of their
 * own; each one reports its pollers to a Redis hash every few seconds, so the
 * API process's `/monitoring/workers` shows every worker. A report older than
 * a few heartbeats is a dead worker and is left out (and pruned).
 */
import { hostname } from "node:os";
import type { AppConfig } from "../config";
import type { ConsumerStats } from "../ports/consumers";
import { isRedisReady, type RedisClient } from "../adapters/redis/redisClient";
import { degradedTotals, type DegradedMode } from "./degradation";

export interface WorkerReport {
  processId: string;
  host: string;
  pid: number;
  reportedAt: string;
  pollers: ConsumerStats[];
  /** Degraded modes this process entered since it started (degradation.ts). */
  degraded?: Record<DegradedMode, number>;
}

export const WORKER_REPORT_INTERVAL_MS = 2_000;
const STALE_AFTER_MS = 5 * WORKER_REPORT_INTERVAL_MS;

export function workersKey(config: Pick<AppConfig, "redisPrefix">): string {
  return `${config.redisPrefix}workers`;
}

export function newProcessId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/** Reports `pollers()` every interval until the returned function is called (which removes the report). */
export function startWorkerReports(redis: RedisClient, key: string, processId: string, pollers: () => ConsumerStats[]): () => Promise<void> {
  const report = () => {
    if (!isRedisReady(redis)) return;
    const body: WorkerReport = { processId, host: hostname(), pid: process.pid, reportedAt: new Date().toISOString(), pollers: pollers(), degraded: degradedTotals() };
    void redis.hset(key, processId, JSON.stringify(body)).catch(() => undefined);
  };
  report();
  const timer = setInterval(report, WORKER_REPORT_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    if (isRedisReady(redis)) await redis.hdel(key, processId).catch(() => undefined);
  };
}

export async function readWorkerReports(redis: RedisClient, key: string, now = Date.now()): Promise<WorkerReport[]> {
  const all = await redis.hgetall(key);
  const live: WorkerReport[] = [];
  const stale: string[] = [];
  for (const [id, raw] of Object.entries(all)) {
    try {
      const r = JSON.parse(raw) as WorkerReport;
      if (now - Date.parse(r.reportedAt) > STALE_AFTER_MS) stale.push(id);
      else live.push(r);
    } catch {
      stale.push(id);
    }
  }
  if (stale.length > 0) await redis.hdel(key, ...stale).catch(() => undefined);
  return live.sort((a, b) => a.processId.localeCompare(b.processId));
}
