/**
 * Monitoring for the local runtime, wired in one call from `local/src/stack.ts`:
 * the runtime view (queues, pollers, oldest-message ages from the emulator),
 * the shared event history and worker reports in Redis when REDIS_URL is set,
 * Prometheus `/metrics`, the `/dashboard` page, and the periodic store line.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { AppContext } from "@shared/app/context";
import type { Topology } from "@shared/adapters/sqs/queueTopology";
import type { PollerStats } from "@shared/adapters/local/poller";
import { closeRedisClient, newRedisClient } from "@shared/adapters/redis/redisClient";
import { installHistorySink } from "@shared/observability/redisHistory";
import { fauxqsOldestAges } from "@shared/observability/queueFigures";
import { PrometheusMetrics } from "@shared/observability/prometheus";
import { startStoreStatsLog } from "@shared/observability/dbStatsLog";
import { newProcessId, readWorkerReports, startWorkerReports, workersKey } from "@shared/observability/workerRegistry";
import type { RuntimeView } from "@shared/observability/runtime";
import type { ExtraRoute } from "../httpServer";
import { dashboardRoute, metricsRoute } from "./routes";
import { pagesRoute } from "../pages/routes";
import { SeriesSampler } from "@shared/app/monitoringSeries";

export interface LocalMonitoringOptions {
  app: AppContext;
  sqs: SQSClient;
  topology: Topology;
  sqsEndpoint: string;
  pollers: () => PollerStats[];
  /** Period of the store stats log line; 0 disables it. */
  storeLogIntervalMs?: number;
  /** Period of the dashboard charts' sampler (queue depths, lag, cache hit rate); 0 disables it. */
  seriesIntervalMs?: number;
}

export interface LocalMonitoring {
  /** For `startHttpServer({ extraRoutes })`: the reader's pages (`/`, `/resources/{id}` as HTML), `/dashboard` and `/metrics`. */
  extraRoutes: ExtraRoute[];
  metrics: PrometheusMetrics;
  /** Call after the pollers stopped and the cache closed. */
  stop(): Promise<void>;
}

export function attachLocalMonitoring(options: LocalMonitoringOptions): LocalMonitoring {
  const { app } = options;
  const config = app.config;
  // A client of the stack's own, closed with it: two stacks in one test process must not share one.
  const redis = config.redisUrl ? newRedisClient({ url: config.redisUrl, cluster: config.redisCluster }) : undefined;
  const history = redis ? installHistorySink(app.emitter, redis, config) : undefined;
  const processId = newProcessId();
  const runtime: RuntimeView = {
    kind: "local",
    sqs: options.sqs,
    topology: async () => options.topology,
    pollers: options.pollers,
    oldestMessageAges: (queues) => fauxqsOldestAges(options.sqsEndpoint, queues),
    processId,
    ...(history ? { history } : {}),
    ...(redis ? { redis, reportedWorkers: () => readWorkerReports(redis, workersKey(config)) } : {}),
  };
  app.runtime = runtime;
  const seriesInterval = options.seriesIntervalMs ?? 10_000;
  const sampler = seriesInterval > 0 ? new SeriesSampler(app, seriesInterval) : undefined;
  if (sampler) {
    runtime.series = sampler;
    sampler.start();
  }

  const stopReports = redis && options.pollers().length > 0 ? startWorkerReports(redis, workersKey(config), processId, options.pollers) : undefined;
  const metrics = new PrometheusMetrics(app);
  const interval = options.storeLogIntervalMs ?? 60_000;
  const stopStoreLog = interval > 0 ? startStoreStatsLog(app.store, interval) : undefined;

  return {
    extraRoutes: [pagesRoute(), dashboardRoute(), metricsRoute(metrics, config.apiKey)],
    metrics,
    async stop() {
      stopStoreLog?.();
      await sampler?.stop();
      metrics.close();
      await stopReports?.();
      if (history) {
        app.emitter.setHistorySink(undefined);
        await history.drain();
      }
      if (redis) await closeRedisClient(redis);
    },
  };
}
