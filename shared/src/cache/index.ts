export { TwoLayerCache, BOOKKEEPING_HORIZON_MS } from "./twoLayerCache";
export type { TwoLayerCacheOptions, WarmEntry, WarmReport, CleanupReport } from "./twoLayerCache";
export { DEFAULT_CACHE_POLICIES, MAX_TTL_SECONDS, resolvePolicies } from "./cachePolicies";
export type { CachePolicy, CachePolicyOverrides } from "./cachePolicies";
export { CacheKeys } from "./cacheKeys";
export { globMatches } from "./glob";
