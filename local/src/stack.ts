/**
 * The local composition root: the whole system on one machine, built from the
 * same parts that run on AWS. The SQS emulator (fauxqs) runs in process unless
 * SQS_ENDPOINT points at one; the local bus applies the routing table; a poller
 * per route does what Lambda's event source mapping does; the HTTP server
 * stands in for API Gateway. Used by `npm start`, the CLI and the tests.
 */
import type http from "node:http";
import { mkdirSync } from "node:fs";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { loadConfig, type AppConfig } from "../../shared/src/config";
import { Store } from "../../shared/src/adapters/libsql/store";
import { applyRouteOverrides, routes as routeTable, type Route, type RouteOverrides } from "../../shared/src/events/routing";
import { createSqsClient } from "../../shared/src/adapters/sqs/sqsClient";
import { ensureQueues, type Topology } from "../../shared/src/adapters/sqs/queueTopology";
import { LocalBus } from "../../shared/src/adapters/local/localBus";
import { InlineBus } from "../../shared/src/adapters/local/inlineBus";
import { QueuePoller } from "../../shared/src/adapters/local/poller";
import { EventEmitter } from "../../shared/src/events/emitter";
import { OutboxRelay } from "../../shared/src/outbox/outbox";
import { createEmbedder } from "../../shared/src/adapters/embedders";
import { createSqsConsumer } from "../../shared/src/tasks/sqsConsumer";
import { taskFor } from "../../shared/src/tasks/registry";
import type { AppContext } from "../../shared/src/app/context";
import type { EventBus } from "../../shared/src/ports/bus";
import { createApiHandler } from "../../functions/src/http/router";
import { apiRoutes } from "../../functions/src/http/routeList";
import { logger } from "../../shared/src/observability/logger";
import { startHttpServer } from "./httpServer";
import { createCache } from "../../shared/src/adapters/cacheFactory";

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
  /**
   * Leave events in the outbox instead of publishing them: for one-shot CLI
   * runs whose in-process SQS emulator is not the one the running stack reads;
   * the running stack's sweeper publishes them.
   */
  deferPublishing?: boolean;
  /** Outbox sweep period; 0 disables. */
  sweepIntervalMs?: number;
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
  stopWorkers(): Promise<void>;
  stop(): Promise<void>;
}

/** Refuses every event, so they stay in the outbox for another process's sweeper. */
const deferredBus: EventBus = {
  publish: async (events) => ({ failedEventIds: events.map((e) => e.meta.eventId) }),
};

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const config = loadConfig({ ...process.env, ...options.env });
  mkdirSync(config.dataDir, { recursive: true });
  const routes = applyRouteOverrides(routeTable, { ...(config.routeOverrides ?? {}), ...(options.routeOverrides ?? {}) });

  const store = Store.open({ url: config.libsqlUrl, authToken: config.libsqlAuthToken });
  await store.migrate();

  let fauxqs: Awaited<ReturnType<typeof startFauxqs>> | undefined;
  let sqsEndpoint = config.sqsEndpoint;
  if (!sqsEndpoint) {
    fauxqs = await startFauxqs({ port: 0, logger: false, host: "localhost" });
    sqsEndpoint = fauxqs.address;
  }
  const sqs = createSqsClient({ endpoint: sqsEndpoint, region: config.awsRegion });
  const topology = await ensureQueues(sqs, routes, config.queuePrefix);

  const cache = await createCache(config);
  const embedder = createEmbedder(config.embedder, { bedrock: { modelId: config.bedrockModelId, region: config.awsRegion } });
  const emitter = EventEmitter.shared();
  const inline = config.taskMode === "inline" ? new InlineBus(routes) : undefined;
  const bus: EventBus = options.deferPublishing ? deferredBus : (inline ?? new LocalBus(sqs, routes, topology));
  const relay = new OutboxRelay(store, bus, emitter);
  const app: AppContext = { config, store, cache, embedder, emitter, relay, routes };
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

  let server: http.Server | undefined;
  let url = "";
  if (options.api !== false) {
    const handler = createApiHandler(apiRoutes, async () => app);
    server = await startHttpServer({ handler, port: config.port, host: config.host, maxBodyBytes: config.maxRequestBytes });
    const addr = server.address();
    url = typeof addr === "object" && addr ? `http://${config.host}:${addr.port}` : "";
  }

  const stopWorkers = async () => {
    await Promise.all(pollers.map((p) => p.stop()));
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
    stopWorkers,
    async stop() {
      if (sweeper) clearInterval(sweeper);
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((r) => server!.close(() => r()));
      }
      await stopWorkers();
      await cache.close();
      sqs.destroy();
      await fauxqs?.stop();
      store.close();
    },
  };
}
