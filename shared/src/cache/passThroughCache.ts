/**
 * A cache that stores nothing: every read loads. Selected with CACHE=off, it
 * is the baseline the cache benchmark compares against.
 */
import type { Cache, CacheStats, CacheType, Loader } from "../ports/cache";

export class PassThroughCache implements Cache {
  #misses = 0;

  async get<T>(): Promise<T | undefined> {
    this.#misses++;
    return undefined;
  }
  async set(): Promise<void> {}
  async getOrLoad<T>(_type: CacheType, _key: string, load: Loader<T>): Promise<T> {
    this.#misses++;
    return load({ doNotStore() {} });
  }
  async invalidate(): Promise<void> {}
  async stats(): Promise<CacheStats> {
    return { hitRate: 0, missRate: this.#misses ? 1 : 0, hits: 0, misses: this.#misses, sets: 0, invalidations: 0, errors: 0, totalOperations: this.#misses, byType: {}, layers: "none" };
  }
  async close(): Promise<void> {}
}
