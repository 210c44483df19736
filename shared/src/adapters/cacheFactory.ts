/**
 * Chooses the cache: CACHE=off → none (benchmark baseline); otherwise the
 * two-layer cache, with Redis as L2 when REDIS_URL is set (ElastiCache
 * Serverless on AWS: TLS + cluster mode), and beside it the registry of what
 * cached vector-search results depend on, in the same place (Redis, or this
 * process when the cache is L1 only).
 */
import type { AppConfig } from "../config";
import type { Cache } from "../ports/cache";
import type { ResultRegistry } from "../ports/resultRegistry";
import { PassThroughCache } from "../cache/passThroughCache";
import { TwoLayerCache } from "../cache";
import { DEFAULT_CACHE_POLICIES } from "../cache/cachePolicies";
import { MemoryResultRegistry } from "../cache/results/memoryResultRegistry";
import { RedisResultRegistry } from "../cache/results/redisResultRegistry";
import { createRedisClient } from "./redis/redisClient";
import { DegradedModes, reportDegraded } from "../observability/degradation";

export interface Caching {
  cache: Cache;
  /** Absent with CACHE=off: nothing is cached, so nothing needs finding. */
  searchResults?: ResultRegistry;
}

/** Registry records outlive the search entries they describe (twice the TTL plus a minute for clock skew). */
const SEARCH_RECORD_LIFETIME_MS = 2 * DEFAULT_CACHE_POLICIES.search.ttlSeconds * 1000 + 60_000;

export async function createCaching(config: AppConfig): Promise<Caching> {
  if (config.cache === "off") return { cache: new PassThroughCache() };
  const namespace = `${config.redisPrefix}cache:`;
  const redis = config.redisUrl ? createRedisClient({ url: config.redisUrl, cluster: config.redisCluster }) : null;
  return {
    cache: new TwoLayerCache({ redis, namespace, onBypass: (operation) => reportDegraded(DegradedModes.redisUnavailable, `cache ${operation} went without Redis`) }),
    searchResults: redis
      ? new RedisResultRegistry(redis, `${namespace}results:search`, SEARCH_RECORD_LIFETIME_MS)
      : new MemoryResultRegistry(SEARCH_RECORD_LIFETIME_MS),
  };
}
