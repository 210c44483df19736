/**
 * The local composition root: the whole system on one machine, built from the
 * same parts that run on AWS. The SQS emulator (fauxqs) runs in process unless
 * SQS_ENDPOINT points at one; the local bus applies the routing table; a poller
 * per route does what Lambda's event source mapping does; the HTTP server
 * stands in for API Gateway. Each process of `npm start` (the API process and
 * every worker process, see main.ts) is one of these with some parts turned
 * off; the CLI and most tests run all parts in one process.
 */
import { mkdirSync } from "node:fs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { startQueueServer, type QueueServer } from "./queue/queueServer";
import { loadConfig, type AppConfig } from "@shared/config";
import { Store } from "@shared/adapters/libsql/store";
import { applyRouteOverrides, routes as routeTable, type Route, type RouteOverrides } from "@shared/events/routing";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { ensureQueues, type Topology } from "@shared/adapters/sqs/queueTopology";
import { LocalBus } from "@shared/adapters/local/localBus";
import { InlineBus } from "@shared/adapters/local/inlineBus";
import { QueuePoller } from "@shared/adapters/local/poller";
import { localPollerCapacity } from "./pollerCapacity";
import { EventEmitter } from "@shared/events/emitter";
import { OutboxRelay } from "@shared/outbox/outbox";
import { createLocalEmbedders } from "./embedders";
import { createSqsConsumer } from "@shared/tasks/sqsConsumer";
import { taskFor } from "@shared/tasks/registry";
import type { AppContext } from "@shared/app/context";
import type { EventBus } from "@shared/ports/bus";
import { createApiHandler } from "@functions/http/router";
import { apiRoutes } from "@functions/http/routeList";
import { logger } from "@shared/observability/logger";
import { startHttpServer, type LocalHttpServer } from "./httpServer";
import { apiGate, originGate } from "./requestGate";
import { checkListenPolicy } from "@shared/security/listenPolicy";
import { keyRingFor } from "@functions/http/router";
import { PopularityCounter } from "@shared/app/popularity";
import { warmCache } from "@shared/app/cacheWarming";
import { startScheduler, type Scheduler } from "./scheduler";
import { createCaching, type Caching } from "@shared/adapters/cacheFactory";
import { attachLocalMonitoring } from "./dashboard/localMonitoring";
import { removeServerFile, writeServerFile } from "./serverFile";

export interface LocalStackOptions {
  /** Environment overrides (same names as the env vars). */
  env?: Record<string, string | undefined>;
  routeOverrides?: RouteOverrides;
  api?: boolean;
  workers?: boolean;
  /** Fire the schedule table with a cron library. */
  scheduler?: boolean;
  /** Fixed poller concurrency (tests); default: the priority tier's. */
  pollerConcurrency?: number;
  /** Period of the dashboard charts' sampler where the API is served (default 10 s); 0 disables. */
  seriesIntervalMs?: number;
  /** Outbox sweep period; 0 disables. */
  sweepIntervalMs?: number;
  /** The cache to use instead of the configured one (worker processes of `npm start`). */
  caching?: Caching;
  /** Monitoring endpoints, shared history and worker reports (default on; off in worker processes of `npm start`, which report to their parent). */
  monitoring?: boolean;
}

export interface LocalStack {
  url: string;
  config: AppConfig;
  app: AppContext;
  sqs: SQSClient;
  topology: Topology;
  routes: Route[];
  pollers: QueuePoller[];
  sqsEndpoint: string;
  /** The HTTP server (absent without the API): its buffered-bytes gauge for tests. */
  httpServer: LocalHttpServer | undefined;
  /** Present when started with `scheduler: true`. */
  scheduler: Scheduler | undefined;
  /** Stops the pollers: in-flight batches finish (at most `graceMs`, then what is left is released). */
  stopWorkers(options?: { graceMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The API process (`npm start`'s, `npm run api`) never waits for the file lock inside SQLite: that wait is
 * synchronous and holds its event loop, /health included (profiled during a 200-page import: ~15 s of the
 * loop's 62 s of work were BEGIN IMMEDIATE waiting out a worker's write). A write that finds the lock taken
 * fails at once and is retried asynchronously every few ms, the loop free in between.
 */
export const API_STORE_BUSY = { busyTimeoutMs: 0, busyRetryDelayMs: { first: 2, max: 20 } } as const;

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const config = loadConfig({ ...process.env, ...options.env });
  // Before anything starts: no key and a non-loopback address is refused with how to set one.
  if (options.api !== false) checkListenPolicy(config);
  mkdirSync(config.dataDir, { recursive: true });
  const routes = applyRouteOverrides(routeTable, { ...(config.routeOverrides ?? {}), ...(options.routeOverrides ?? {}) });

  const apiProcess = options.api !== false && options.workers === false && !process.env.STORE_BUSY_TIMEOUT_MS;
  const store = Store.open({ url: config.libsqlUrl, authToken: config.libsqlAuthToken, synchronous: config.storeSynchronous, ...(apiProcess ? API_STORE_BUSY : {}) });
  await store.migrate();

  let fauxqs: QueueServer | undefined;
  let sqsEndpoint = config.sqsEndpoint;
  if (!sqsEndpoint) {
    fauxqs = await startQueueServer({ port: 0 });
    sqsEndpoint = fauxqs.endpoint;
  }
  const sqs = createSqsClient({ endpoint: sqsEndpoint, region: config.awsRegion });
  const topology = await ensureQueues(sqs, routes, config.queuePrefix);

  const { cache, searchResults } = options.caching ?? (await createCaching(config));
  const embedders = createLocalEmbedders(config);
  const emitter = EventEmitter.shared();
  const inline = config.taskMode === "inline" ? new InlineBus(routes) : undefined;
  const bus: EventBus = inline ?? new LocalBus(sqs, routes, topology);
  // Writers return after their commit and leave the publish to the relay's next pass (OutboxRelay, handOff):
  // a local process is not frozen after it answers, and stop() drains the relay before the queues go.
  const relay = new OutboxRelay(store, bus, emitter, { handOff: true });
  const popularity = new PopularityCounter(store);
  const app: AppContext = { config, store, cache, searchResults, embedder: embedders.embedder, embedderById: embedders.embedderById, emitter, relay, routes, popularity };
  inline?.attach(app);

  const pollers: QueuePoller[] = [];
  if (options.workers !== false && config.taskMode === "queued") {
    for (const route of routes) {
      const task = taskFor(route.task);
      const queues = topology.get(route.task);
      if (!task || !queues) {
        logger.warn("no task for route; its queue is not consumed", { task: route.task });
        continue;
      }
      const handler = createSqsConsumer({ app, task, route, sqs, queueUrl: queues.queueUrl, dlqUrl: queues.dlqUrl });
      const poller = new QueuePoller({
        sqs,
        route,
        queueUrl: queues.queueUrl,
        queueArn: queues.queueArn,
        handler,
        waitTimeSeconds: 1,
        ...localPollerCapacity(route, config.embedder),
        ...(options.pollerConcurrency ? { concurrency: options.pollerConcurrency } : {}),
      });
      poller.start();
      pollers.push(poller);
    }
  }

  // The sweeper publishes what a crashed writer or an unreachable queue left in the outbox.
  const sweepMs = options.sweepIntervalMs ?? 5_000;
  const sweeper = sweepMs > 0 ? setInterval(() => void relay.sweep(sweepMs).catch(() => undefined), sweepMs) : undefined;
  sweeper?.unref();

  const scheduler = options.scheduler ? startScheduler(app) : undefined;

  // Monitoring endpoints, /dashboard, /metrics, shared event history (Redis) and the periodic store line.
  const monitoring = options.monitoring === false ? undefined : attachLocalMonitoring({
          app,
          sqs,
          topology,
          sqsEndpoint,
          pollers: () => pollers.map((p) => p.stats),
          // Charts belong to the process that serves the dashboard.
          seriesIntervalMs: options.api === false ? 0 : options.seriesIntervalMs,
        });

  let server: LocalHttpServer | undefined;
  let url = "";
  if (options.api !== false) {
    const handler = createApiHandler(apiRoutes, async () => app);
    const keys = keyRingFor(config);
    server = await startHttpServer({
      handler,
      port: config.port,
      host: config.host,
      maxBodyBytes: config.maxRequestBytes,
      extraRoutes: monitoring?.extraRoutes ?? [],
      originGate: originGate({ allowedHosts: [config.host, ...config.allowedHosts] }),
      apiGate: apiGate({ routes: apiRoutes, keys: () => keys, maxBodyBytes: config.maxRequestBytes }),
      limits: {
        ...(config.maxConnections ? { maxConnections: config.maxConnections } : {}),
        ...(config.maxBufferedBytes ? { maxBufferedBytes: config.maxBufferedBytes } : {}),
      },
    });
    const addr = server.address();
    url = typeof addr === "object" && addr ? `http://${config.host}:${addr.port}` : "";
    writeServerFile(config.dataDir, url);
    popularity.start();
    // Warm in the background: the API answers at once; warmed entries only make the first reads faster.
    void warmCache(app).then(
      (r) => logger.info("cache warmed", { ...r }),
      (e: unknown) => logger.warn("cache warming failed", { error: e instanceof Error ? e.message : String(e) }),
    );
  }

  const stopWorkers = async (stopOptions: { graceMs?: number } = {}) => {
    await Promise.all(pollers.map((p) => p.stop(stopOptions)));
  };

  return {
    url,
    config,
    app,
    sqs,
    topology,
    routes,
    pollers,
    sqsEndpoint,
    httpServer: server,
    scheduler,
    stopWorkers,
    async stop() {
      await popularity.stop();
      // First, so no job starts against a closing store; running jobs finish.
      await scheduler?.stop();
      if (sweeper) clearInterval(sweeper);
      if (server) {
        removeServerFile(config.dataDir);
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await stopWorkers();
      // Events the requests and tasks above committed and handed over: published before the queue client goes.
      await relay.drain();
      await cache.close();
      await embedders.close();
      await monitoring?.stop();
      sqs.destroy();
      await fauxqs?.stop();
      await store.flushGrouped().catch(() => undefined);
      store.close();
    },
  };
}
