/**
 * How long each cache type lives, and whether its keys name immutable values.
 * The reasons for each number are in docs/caching.md.
 */
import { CacheTypes } from "../ports/cache";
import type { CacheType } from "../ports/cache";

export interface CachePolicy {
  /** Lifetime in both layers, from the moment the value's freshness was checked. */
  ttlSeconds: number;
  /**
   * The key identifies content that can never change (a content hash, a
   * resource revision). Only such values may be served from L1 while Redis is
   * unreachable, because no invalidation can make them wrong.
   */
  immutable: boolean;
}

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Upper bound for any TTL, per type or per call. The invalidation bookkeeping
 * (generation keys, pattern log) is kept this long after its last change, which
 * is what makes deleting it safe (see docs/caching.md, "cleanup").
 */
export const MAX_TTL_SECONDS = 7 * DAY;

export const DEFAULT_CACHE_POLICIES: Readonly<Record<CacheType, CachePolicy>> = {
  embedding: { ttlSeconds: 7 * DAY, immutable: true },
  quality: { ttlSeconds: 1 * DAY, immutable: true },
  search: { ttlSeconds: 5 * MINUTE, immutable: false },
  resource: { ttlSeconds: 10 * MINUTE, immutable: false },
  neighbors: { ttlSeconds: 10 * MINUTE, immutable: false },
  recommendations: { ttlSeconds: 5 * MINUTE, immutable: false },
};

export type CachePolicyOverrides = Partial<Record<CacheType, Partial<CachePolicy>>>;

/** The default table with overrides applied; every TTL clamped to (0, MAX_TTL_SECONDS]. */
export function resolvePolicies(overrides: CachePolicyOverrides = {}): Record<CacheType, CachePolicy> {
  const resolved = {} as Record<CacheType, CachePolicy>;
  for (const type of CacheTypes) {
    const merged = { ...DEFAULT_CACHE_POLICIES[type], ...overrides[type] };
    resolved[type] = { ...merged, ttlSeconds: clampTtlSeconds(merged.ttlSeconds) };
  }
  return resolved;
}

export function clampTtlSeconds(ttlSeconds: number): number {
  if (!Number.isFinite(ttlSeconds) || ttlSeconds <= 0) throw new RangeError(`TTL must be a positive number of seconds, got ${ttlSeconds}`);
  return Math.min(ttlSeconds, MAX_TTL_SECONDS);
}
