/**
 * `/monitoring/*` (requirements 8, 11, 14): events, task ledger, queues,
 * workers, store, freshness, cache and dead letters. All need the API key when
 * one is configured: they expose payloads, errors and infrastructure names.
 */
import * as z from "zod";
import { TaskNames } from "@shared/events/routing";
import {
  cacheHealth,
  cacheStats,
  dbStatus,
  freshness,
  listTaskRuns,
  queueStatus,
  recentEvents,
  taskSummary,
  workerStatus,
} from "@shared/app/monitoring";
import { listDeadLetters, replayDeadLetters } from "@shared/app/deadLetters";
import { monitoringSeries } from "@shared/app/monitoringSeries";
import { degradedStatus } from "@shared/app/degradedStatus";
import { searchIndexStatus } from "@shared/app/searchStatus";
import type { AppContext } from "@shared/app/context";
import { ok, route, type ApiRoute } from "../apiRoute";

const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const task = z.enum(TaskNames);
const text = z.string().min(1).max(200);

/** A read-only view of internals: GET, API key required, 200 with what `read` returns for the validated query. */
function view<Q>(def: {
  path: string;
  summary: string;
  query?: z.ZodType<Q>;
  responses: Record<number, string>;
  read(app: AppContext, query: Q): Promise<unknown>;
}): ApiRoute {
  const { read, ...rest } = def;
  return route({
    method: "GET",
    ...rest,
    async handle(req, app) {
      return ok(await read(app, req.query));
    },
  });
}

export const monitoringRoutes = [
  view({
    path: "/monitoring/series",
    summary: "The last hour for the dashboard's charts: resources added and task runs finished per minute (from the store), and queue/DLQ depths, freshness lag p50/p99 and cache hit rate as sampled by the serving process.",
    query: z.object({ windowMinutes: z.coerce.number().int().min(1).max(60).default(60) }),
    responses: { 200: "{windowMinutes, since, ingest: [{t, count}], completions: {task: {status: [{t, count}]}}, samples: [{t, queues, lagP50, lagP99, lagging, cacheHitRate}], sampleIntervalMs}" },
    read: monitoringSeries,
  }),
  view({
    path: "/monitoring/degraded",
    summary: "How often each degraded mode occurred (coarse search invalidation, Redis unavailable, embedder throttled): local processes since start, or all functions over the last hour on AWS.",
    responses: { 200: "{source, total: {mode: count}, windowMinutes?, processes?}" },
    read: degradedStatus,
  }),
  view({
    path: "/monitoring/events",
    summary: "Recent events (last 1000, every process when Redis is configured), newest first.",
    query: z.object({
      limit: limit(1000, 100),
      type: z.string().regex(/^[a-z_.]+\*?$/, "type is an event name or a prefix ending in *").max(100).optional(),
      correlationId: text.optional(),
    }),
    responses: { 200: "{source, items: [{eventId, name, timestamp, priority, correlationId, payload}]}" },
    read: recentEvents,
  }),
  view({
    path: "/monitoring/tasks",
    summary: "Task executions from the ledger, newest first.",
    query: z.object({
      task: text.optional(),
      resourceId: text.optional(),
      status: z.enum(["running", "succeeded", "skipped", "retrying", "failed"]).optional(),
      correlationId: text.optional(),
      limit: limit(1000, 50),
    }),
    responses: { 200: "{items}" },
    read: listTaskRuns,
  }),
  view({
    path: "/monitoring/tasks/summary",
    summary: "Counts and p50/p95 duration per task and outcome over a time window.",
    query: z.object({ windowMinutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) }),
    responses: { 200: "{windowMinutes, since, items: [{task, status, count, p50Ms, p95Ms, maxMs}], totals}" },
    read: taskSummary,
  }),
  view({
    path: "/monitoring/queues",
    summary: "Per route queue: visible, in flight, delayed, DLQ depth and age of the oldest message.",
    responses: { 200: "{items}" },
    read: (app) => queueStatus(app),
  }),
  view({
    path: "/monitoring/workers",
    summary: "Local pollers (alive, active, processed, failed, heartbeat) or, on AWS, task function concurrency and errors.",
    responses: { 200: "{runtime, pollers?, functions?}" },
    read: workerStatus,
  }),
  view({
    path: "/monitoring/db",
    summary: "Store operation counts, latency p50/p95, errors, in-flight statements, health and outbox backlog.",
    responses: { 200: "{store, health, outbox}" },
    read: dbStatus,
  }),
  view({
    path: "/monitoring/freshness",
    summary: "Resources whose derived data lags their revision, per datum, and the oldest of them.",
    query: z.object({ limit: limit(100, 10) }),
    responses: { 200: "{lagging, laggingResources, ingestion, total, oldest}" },
    read: freshness,
  }),
  view({
    path: "/monitoring/search",
    summary: "Search index: passages and vectors, which embedder serves rankings, and re-embedding progress after a change of embedder.",
    responses: { 200: "{passages, embedders: {configured, serving, resources, embeddedWithConfigured, remaining, vectorsByEmbedder}}" },
    read: searchIndexStatus,
  }),
  view({
    path: "/monitoring/cache",
    summary: "Cache statistics: hit and miss rates, operations and invalidations, per type.",
    responses: { 200: "{hitRate, missRate, hits, misses, invalidations, totalOperations, byType}" },
    read: cacheStats,
  }),
  view({
    path: "/monitoring/cache/health",
    summary: "Redis reachability and PING latency from this process; on AWS the ElastiCache status too.",
    responses: { 200: "{configured, reachable?, latencyMs?, service?}" },
    read: cacheHealth,
  }),
  view({
    path: "/monitoring/dead-letters",
    summary: "Messages in the dead-letter queues, with task, error, attempts and what they were about.",
    query: z.object({ task: task.optional(), limit: limit(1000, 100) }),
    responses: { 200: "{items, total, errors}", 400: "Unknown task" },
    read: listDeadLetters,
  }),
  route({
    method: "POST",
    path: "/monitoring/dead-letters/replay",
    summary: "Send dead letters back to their queue: all, one task's, or one message.",
    body: z.object({ task: task.optional(), messageId: text.optional() }).strict().default({}),
    responses: { 200: "{replayed, byTask, errors}", 400: "Unknown task or field" },
    async handle(req, app) {
      return ok(await replayDeadLetters(app, req.body ?? {}));
    },
  }),
];
