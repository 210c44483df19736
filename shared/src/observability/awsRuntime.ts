/**
 * The runtime view on AWS (`functions/src/compose.ts`): queue URLs found by
 * name (CDK created them from the same routing table), the oldest-message age
 * and function health from CloudWatch, and the ElastiCache description of the
 * cache named by ELASTICACHE_NAME. Clients are injectable for boundary tests.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { AppConfig } from "../config";
import type { Route } from "../events/routing";
import { resolveQueues, type Topology } from "../adapters/sqs/queueTopology";
import { cloudWatchDegraded, cloudWatchOldestAges, lambdaFunctionHealth, type MetricDataClient } from "./cloudWatch";
import { METRICS_NAMESPACE } from "./emfMetrics";
import type { ElastiCacheDescribeClient } from "./elastiCache";
import type { RuntimeView } from "./runtime";
import { installHistorySink, processRedis } from "./redisHistory";
import { countCacheReads, emfCacheCounter, lambdaMetrics } from "./emfMetrics";
import type { AppContext } from "../app/context";

export interface AwsRuntimeDeps {
  sqs?: SQSClient;
  cloudWatch?: MetricDataClient;
  elastiCache?: ElastiCacheDescribeClient;
  elastiCacheName?: string | undefined;
  history?: RuntimeView["history"];
}

export function awsRuntime(config: Pick<AppConfig, "awsRegion" | "queuePrefix" | "redisUrl" | "redisCluster">, routes: readonly Route[], deps: AwsRuntimeDeps = {}): RuntimeView {
  const sqs = deps.sqs ?? new SQSClient({ region: config.awsRegion });
  const cloudWatch = deps.cloudWatch ?? new CloudWatchClient({ region: config.awsRegion });
  // Only GET /monitoring/cache describes the cache: its client (~50 kB) is loaded then, not at every cold start.
  let elastiCache: Promise<ElastiCacheDescribeClient> | undefined;
  const elastiCacheClient = () =>
    (elastiCache ??= deps.elastiCache
      ? Promise.resolve(deps.elastiCache)
      : import("@aws-sdk/client-elasticache").then(({ ElastiCacheClient }) => new ElastiCacheClient({ region: config.awsRegion })));
  const cacheName = "elastiCacheName" in deps ? deps.elastiCacheName : process.env.ELASTICACHE_NAME;
  let topology: Promise<Topology> | undefined;
  const redis = processRedis(config);
  return {
    kind: "aws",
    sqs,
    ...(redis ? { redis } : {}),
    topology() {
      if (!topology) {
        const pending = resolveQueues(sqs, routes, config.queuePrefix);
        // A failed lookup (throttling, missing permission) is retried on the next call.
        pending.catch(() => {
          if (topology === pending) topology = undefined;
        });
        topology = pending;
      }
      return topology;
    },
    oldestMessageAges: (queues) => cloudWatchOldestAges(cloudWatch, queues),
    functionHealth: () => lambdaFunctionHealth(cloudWatch, routes, config.queuePrefix),
    degradedModes: async () => ({
      windowMinutes: 60,
      counts: await cloudWatchDegraded(cloudWatch, process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE, process.env.POWERTOOLS_SERVICE_NAME ?? "neo-alexandria", 60),
    }),
    cacheService: async () => {
      if (!cacheName) return null;
      const [client, { describeCacheService }] = await Promise.all([elastiCacheClient(), import("./elastiCache")]);
      return describeCacheService(client, cacheName);
    },
    ...(deps.history ? { history: deps.history } : {}),
  };
}

/**
 * Everything observability adds to an AWS app in one call (`compose.ts`):
 * the shared event history in Redis, cache reads counted as EMF metrics, and
 * the runtime view for the monitoring endpoints and dead-letter replay.
 */
export function withAwsObservability(app: AppContext): AppContext {
  const redis = processRedis(app.config);
  const history = redis ? installHistorySink(app.emitter, redis, app.config) : undefined;
  return {
    ...app,
    cache: countCacheReads(app.cache, emfCacheCounter(lambdaMetrics())),
    runtime: awsRuntime(app.config, app.routes, history ? { history } : {}),
  };
}
