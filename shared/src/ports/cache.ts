/**
 * The cache port: a two-layer read-through cache (L1 in process, L2 Redis).
 * Values must be JSON-serialisable. Tags name what a value depends on
 * (`resource:<id>`, `search`, `graph`, `user:<id>`); invalidating a tag makes
 * every value carrying it unreadable in every process.
 */
export const CacheTypes = ["embedding", "quality", "search", "resource", "neighbors", "recommendations"] as const;
export type CacheType = (typeof CacheTypes)[number];

export interface CacheTypeStats {
  hits: number;
  misses: number;
  sets: number;
  invalidations: number;
  errors: number;
}

export interface CacheStats {
  hitRate: number;
  missRate: number;
  hits: number;
  misses: number;
  sets: number;
  invalidations: number;
  errors: number;
  totalOperations: number;
  byType: Record<string, CacheTypeStats & { hitRate: number }>;
  /** "l1+l2" when Redis is configured and reachable, "l1" otherwise. */
  layers: string;
}

export interface InvalidationRequest {
  /** Exact entries. */
  keys?: Array<{ type: CacheType; key: string }>;
  /** Every entry tagged with one of these. */
  tags?: string[];
  /** Glob patterns over `<type>:<key>` (requirement 7.3), e.g. `search:*`. */
  patterns?: string[];
}

/**
 * Handed to a loader. A loader that could not record what its value depends on
 * (so no invalidation could find it) calls `doNotStore()`: the value is
 * returned to the caller but never cached.
 */
export interface LoadControl {
  doNotStore(): void;
}

export type Loader<T> = (control: LoadControl) => Promise<T>;

export interface Cache {
  get<T>(type: CacheType, key: string): Promise<T | undefined>;
  set<T>(type: CacheType, key: string, value: T, options?: { tags?: string[]; ttlSeconds?: number }): Promise<void>;
  /** Read-through: the cached value, or `load()` stored under `key` with `tags`. */
  getOrLoad<T>(type: CacheType, key: string, load: Loader<T>, options?: { tags?: string[]; ttlSeconds?: number }): Promise<T>;
  /**
   * Invalidates in L1 of every process and in L2. Resolves once no reader can
   * see the old values. Rejects with `CacheUnavailableError` when L2 could not be
   * reached, so the caller can retry through the queue.
   */
  invalidate(request: InvalidationRequest): Promise<void>;
  stats(): Promise<CacheStats>;
  close(): Promise<void>;
}

export class CacheUnavailableError extends Error {
  override readonly name = "CacheUnavailableError";
}
