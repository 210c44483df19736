/**
 * What monitoring and dead-letter replay can see of the running system beyond
 * the store: the queues, the local pollers, and on AWS the CloudWatch and
 * ElastiCache views. Each composition root fills it in with its own adapters
 * (`local/src/dashboard/localMonitoring.ts`, `awsRuntime.ts`), so the
 * monitoring use cases run unchanged on both.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { TaskName } from "../events/routing";
import type { Topology } from "../adapters/sqs/queueTopology";
import type { ConsumerStats } from "../ports/consumers";
import type { RedisClient } from "../adapters/redis/redisClient";
import type { HistorySinkStats } from "./redisHistory";
import type { WorkerReport } from "./workerRegistry";
import type { DegradedMode } from "./degradation";

export interface QueueRef {
  task: TaskName;
  url: string;
  name: string;
}

/** Age of a queue's oldest message, and where the figure came from (null: not known). */
export interface OldestMessageAge {
  seconds: number | null;
  source: string;
}

/** A task function's health on AWS (CloudWatch `AWS/Lambda` metrics over a recent window). */
export interface FunctionHealth {
  task: TaskName;
  functionName: string;
  windowMinutes: number;
  /** Highest concurrent executions seen in the window. */
  concurrentExecutions: number | null;
  invocations: number | null;
  errors: number | null;
  throttles: number | null;
  /** The event source mapping's cap for the route's priority tier. */
  maxConcurrency: number;
}

/** ElastiCache's own description of the cache (AWS only). */
export interface CacheServiceStatus {
  name: string;
  kind: "serverless" | "replication-group";
  status: string | null;
  engine: string | null;
  engineVersion: string | null;
  endpoint: string | null;
  details: Record<string, unknown>;
}

/** What a worker process reports about itself (local/src/workers/workerReport.ts). */
export interface WorkerFigures {
  pid: number;
  tasksDone: number;
  tasksFailed: number;
  activeMessages: number;
  /** Event loop utilisation over the last report interval, 0..1. */
  busyShare: number;
  rssBytes: number;
  peakRssBytes: number;
  heapUsedBytes: number;
  reportedAt: string;
}

/** One worker process of `npm start`'s pool, as the API process sees it. */
export interface PooledWorker {
  slot: number;
  pid: number | null;
  state: "starting" | "ready" | "draining" | "restarting" | "stopped";
  /** Times this slot's process was replaced after it died. */
  restarts: number;
  startedAt: string | null;
  lastExit: { pid: number; code: number | null; signal: string | null; at: string } | null;
  /** The process's latest report; null until its first. */
  figures: WorkerFigures | null;
}

export interface RuntimeView {
  kind: "local" | "aws";
  sqs: SQSClient;
  /** Every route's queue and DLQ URL (local: created at start; AWS: looked up by name once). */
  topology(): Promise<Topology>;
  /** The pollers of this process (local runtime only). */
  pollers?(): ConsumerStats[];
  /** The age of the oldest message per queue URL; SQS attributes do not carry it. */
  oldestMessageAges?(queues: readonly QueueRef[]): Promise<Map<string, OldestMessageAge>>;
  /** Task functions' concurrency and errors (AWS only). */
  functionHealth?(): Promise<FunctionHealth[]>;
  /** The ElastiCache cache behind REDIS_URL (AWS only). */
  cacheService?(): Promise<CacheServiceStatus | null>;
  /** The shared event history writer of this process, when Redis is configured. */
  history?: { stats: HistorySinkStats };
  /** This process's Redis client for monitoring (history reads, PING); absent without REDIS_URL. */
  redis?: RedisClient;
  /** Identifies this process among the workers reported through Redis. */
  processId?: string;
  /** Pollers of every local process, as reported through Redis (multi-process setups). */
  reportedWorkers?(): Promise<WorkerReport[]>;
  /** Degraded modes across all functions over a recent window (AWS: CloudWatch). */
  degradedModes?(): Promise<{ windowMinutes: number; counts: Record<DegradedMode, number> }>;
  /** The worker processes this (API) process runs under `npm start`. */
  workerPool?(): PooledWorker[];
  /** This API process's own figures (busy share, memory) under `npm start`. */
  apiProcess?(): WorkerFigures | null;
  /** The sampler of figures that are only ever "now" (queue depths, lag, cache hit rate), for the dashboard's charts. */
  series?: { intervalMs: number; list(): SeriesSample[] };
}

/** One sample of the dashboard's time series (app/monitoringSeries.ts takes them). */
export interface SeriesSample {
  /** ISO time of the sample. */
  t: string;
  /** Per task: messages waiting (visible + delayed + in flight) and dead letters. */
  queues: Record<string, { depth: number | null; dlq: number | null }>;
  /** Seconds since the last change of resources not yet current (pending ingestion or lagging derived data); 0 when none. */
  lagP50: number;
  lagP99: number;
  /** Resources not yet current at the sample. */
  lagging: number;
  /** Cache hits / (hits + misses) since the previous sample; null when there was no lookup. */
  cacheHitRate: number | null;
}
