/**
 * Caches for the caching benchmark, built by the composition roots' own
 * factory (`createCaching`, CACHE=on|off) and swapped into a running stack's
 * AppContext (the API handler and every task read `app.cache`, so the swap
 * reaches both):
 *
 * - "on": the two-layer cache (L1 in process + Redis L2) under a key prefix
 *   of its own, removed afterwards;
 * - "off": PassThroughCache, the CACHE=off baseline: every read loads.
 *
 * Either is wrapped in CountingCache, which counts how often each cache type's
 * loader ran: the expensive work (search execution, recommendation
 * computation, embedding) the cache did not avoid.
 */
import type { AppConfig } from "@shared/config";
import type { Cache, CacheStats, CacheType, InvalidationRequest, Loader } from "@shared/ports/cache";
import { createCaching } from "@shared/adapters/cacheFactory";
import type { ResultRegistry } from "@shared/ports/resultRegistry";
import { benchRedisPrefix, benchRedisUrl, removeRedisKeys } from "./redisKeys";

export class CountingCache implements Cache {
  readonly loads: Record<string, number> = {};
  readonly loadMs: Record<string, number> = {};

  constructor(readonly inner: Cache) {}

  get<T>(type: CacheType, key: string): Promise<T | undefined> {
    return this.inner.get<T>(type, key);
  }
  set<T>(type: CacheType, key: string, value: T, options?: { tags?: string[]; ttlSeconds?: number }): Promise<void> {
    return this.inner.set(type, key, value, options);
  }
  getOrLoad<T>(type: CacheType, key: string, load: Loader<T>, options?: { tags?: string[]; ttlSeconds?: number }): Promise<T> {
    return this.inner.getOrLoad(
      type,
      key,
      async (control) => {
        this.loads[type] = (this.loads[type] ?? 0) + 1;
        const t0 = performance.now();
        try {
          return await load(control);
        } finally {
          this.loadMs[type] = (this.loadMs[type] ?? 0) + performance.now() - t0;
        }
      },
      options,
    );
  }
  invalidate(request: InvalidationRequest): Promise<void> {
    return this.inner.invalidate(request);
  }
  stats(): Promise<CacheStats> {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  loadCount(type: CacheType): number {
    return this.loads[type] ?? 0;
  }
}

export interface BenchCache {
  cache: CountingCache;
  /** The registry of vector-search dependencies that goes with the cache (none when off). */
  searchResults: ResultRegistry | undefined;
  mode: "on" | "off";
  /** Layers the cache reports ("l1+l2", "l1", "none"). */
  layers: string;
  close(): Promise<void>;
}

export async function benchCache(config: AppConfig, mode: "on" | "off"): Promise<BenchCache> {
  const redisUrl = benchRedisUrl();
  const redisPrefix = benchRedisPrefix(`cache-${mode}`);
  const caching = await createCaching({ ...config, cache: mode, redisUrl, redisPrefix });
  const cache = new CountingCache(caching.cache);
  // The first operation waits for the connection; make it now so "layers" is accurate.
  await cache.get("resource", "__bench_probe__");
  const layers = (await cache.stats()).layers;
  return {
    cache,
    searchResults: caching.searchResults,
    mode,
    layers,
    async close() {
      await cache.close();
      await removeRedisKeys(redisUrl, redisPrefix);
    },
  };
}
