/**
 * Chooses the cache: CACHE=off → none (benchmark baseline); otherwise the
 * two-layer cache, with Redis as L2 when REDIS_URL is set (ElastiCache
 * Serverless on AWS: TLS + cluster mode).
 */
import type { AppConfig } from "../config";
import type { Cache } from "../ports/cache";
import { PassThroughCache } from "../cache/passThroughCache";
import { TwoLayerCache } from "../cache";
import { createRedisClient } from "./redis/redisClient";

export async function createCache(config: AppConfig): Promise<Cache> {
  if (config.cache === "off") return new PassThroughCache();
  const redis = config.redisUrl ? createRedisClient({ url: config.redisUrl, cluster: config.redisCluster }) : null;
  return new TwoLayerCache({ redis, namespace: `${config.redisPrefix}cache:` });
}
