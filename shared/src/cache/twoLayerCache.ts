/**
 * The two-layer cache: L1 in process (lru-cache), L2 in Redis, never stale.
 *
 * Freshness (docs/caching.md): every value is stored with a snapshot of the
 * generation stamps it depends on, read BEFORE the value was loaded. Every hit,
 * L1 included, is checked against the current stamps with one MGET, so an
 * invalidation that has resolved in any process is seen by every later read in
 * every process. Without Redis the cache is L1 only (single process).
 *
 * @example
 * const cache = new TwoLayerCache({ redis: createRedisClient({ url }) });
 * const doc = await cache.getOrLoad("resource", id, () => store.get(id), { tags: [`resource:${id}`] });
 * await cache.invalidate({ tags: [`resource:${id}`] });
 */
import { isRedisReady } from "../adapters/redis/redisClient";
import type { RedisClient } from "../adapters/redis/redisClient";
import { unlinkMatching } from "../adapters/redis/scanKeys";
import { CacheTypes, CacheUnavailableError } from "../ports/cache";
import type { Cache, CacheStats, CacheType, InvalidationRequest, Loader } from "../ports/cache";
import { CacheKeys } from "./cacheKeys";
import { MAX_TTL_SECONDS, clampTtlSeconds, resolvePolicies } from "./cachePolicies";
import type { CachePolicy, CachePolicyOverrides } from "./cachePolicies";
import { StatsRecorder, parseStatsField, summarizeStats } from "./cacheStats";
import { ConnectionGate } from "./connectionGate";
import type { StatMetric } from "./cacheStats";
import { judge, newStamp, normalizeTags, sameTags } from "./freshness";
import type { EntryMeta, Snapshot } from "./freshness";
import { GenerationStore } from "./generationStore";
import { planCovers, planInvalidation } from "./invalidationPlan";
import type { InvalidationPlan } from "./invalidationPlan";
import { L1Store } from "./l1Store";
import type { L1Entry } from "./l1Store";
import { L2Values } from "./l2Values";

export interface TwoLayerCacheOptions {
  /** L2. Absent: L1 only, correct for a single process (layers "l1"). */
  redis?: RedisClient | null;
  /** Prefix of every Redis key of this cache; no braces. Default "na:cache:". */
  namespace?: string;
  /** L1 bounds. Defaults: 10 000 entries, 64 MiB. */
  l1MaxEntries?: number;
  l1MaxBytes?: number;
  /** Per-type TTL / immutability overrides of DEFAULT_CACHE_POLICIES. */
  policies?: CachePolicyOverrides;
  /** How often pending statistics are sent to Redis; 0 = only on stats()/flushStats()/close(). Default 1000. */
  statsFlushIntervalMs?: number;
  /** How long the first operations wait for the initial connection. Default 1000. */
  firstConnectWaitMs?: number;
  /**
   * How long invalidate() waits for a disconnected client to reconnect before
   * rejecting. Longer than the reconnect backoff, so a process that reconnects
   * late still invalidates instead of failing while Redis is up. Default 1500.
   */
  invalidateConnectWaitMs?: number;
  /** After an L2 command fails on a live connection (e.g. a timeout), skip L2 this long. Default 1000. */
  l2PauseAfterFailureMs?: number;
  /** Told about every L2 failure (they are also counted as errors in the statistics). */
  onError?: (error: unknown, operation: string) => void;
  /**
   * Told each time an operation goes without Redis although Redis is configured
   * (not usable, a failed command, an invalidation that did not reach it): the
   * degraded mode the composition root counts as a metric.
   */
  onBypass?: (operation: string) => void;
}

export interface WarmEntry<T = unknown> {
  type: CacheType;
  key: string;
  load: Loader<T>;
  tags?: string[];
  ttlSeconds?: number;
}

export interface WarmReport {
  loaded: number;
  alreadyCached: number;
  failed: number;
}

export interface CleanupReport {
  l1Purged: number;
  generationsRemoved: number;
  patternLogEntriesRemoved: number;
  statsFieldsRemoved: number;
}

/**
 * How long invalidation bookkeeping is kept after its last change: longer than
 * any entry can live after its snapshot, plus a margin for clock rate and
 * network delays. Deleting it after that can revive nothing.
 */
export const BOOKKEEPING_HORIZON_MS = MAX_TTL_SECONDS * 1000 + 60 * 60 * 1000;

/** Statistics buckets besides the cache types (see InvalidationPlan.buckets). */
const EXTRA_STATS_BUCKETS = ["tags", "all"];

/**
 * When a concurrent getOrLoad may reuse a running flight's value:
 * - "always": an immutable value (a key names content that never changes);
 * - "after-decision": the flight read Redis (or started its load) after the joiner started;
 * - "local": L1-only mode; no local invalidation between the flight's decision and the join.
 */
type Trust = "always" | "after-decision" | "local";

type Lookup =
  | { kind: "hit"; json: string; decidedAt: number; trust: Trust }
  | { kind: "miss"; mode: "l1-only" | "offline" | "l2"; snapshot: Snapshot | null };

interface FlightOutcome {
  value: unknown;
  /** The value as JSON when known, so each joiner gets its own copy. */
  json: string | undefined;
  decidedAt: number;
  trust: Trust;
}

export class TwoLayerCache implements Cache {
  private readonly keys: CacheKeys;
  private readonly policies: Record<CacheType, CachePolicy>;
  private readonly l1: L1Store;
  private readonly statsRecorder = new StatsRecorder();
  private readonly redis: RedisClient | null;
  private readonly generations: GenerationStore | null;
  private readonly l2: L2Values | null;
  private readonly gate: ConnectionGate | null;
  private readonly flights = new Map<string, Promise<FlightOutcome>>();
  private readonly invalidateConnectWaitMs: number;
  private readonly onError: (error: unknown, operation: string) => void;
  private readonly onBypass: (operation: string) => void;
  private readonly flushTimer: NodeJS.Timeout | null;

  /** Local logical clock ordering flight decisions, joins and local invalidations. */
  private tick = 0;
  private lastLocalInvalidationTick = 0;
  private closed = false;

  constructor(options: TwoLayerCacheOptions = {}) {
    this.keys = new CacheKeys(options.namespace ?? "na:cache:");
    this.policies = resolvePolicies(options.policies);
    this.l1 = new L1Store({ maxEntries: options.l1MaxEntries ?? 10_000, maxBytes: options.l1MaxBytes ?? 64 * 1024 * 1024 });
    this.redis = options.redis ?? null;
    this.generations = this.redis ? new GenerationStore(this.redis, this.keys) : null;
    this.l2 = this.redis ? new L2Values(this.redis, this.keys) : null;
    this.invalidateConnectWaitMs = options.invalidateConnectWaitMs ?? 1_500;
    this.onError = options.onError ?? (() => {});
    this.onBypass = options.onBypass ?? (() => {});
    this.gate =
      this.redis && this.generations
        ? new ConnectionGate(this.redis, this.generations, {
            firstConnectWaitMs: options.firstConnectWaitMs ?? 1_000,
            pauseAfterFailureMs: options.l2PauseAfterFailureMs ?? 1_000,
            onError: this.onError,
          })
        : null;
    const flushEvery = options.statsFlushIntervalMs ?? 1_000;
    this.flushTimer = this.redis && flushEvery > 0 ? setInterval(() => void this.flushStats(), flushEvery) : null;
    this.flushTimer?.unref();
  }

  /** "l1+l2" when Redis is configured and connected, "l1" otherwise. */
  get layers(): string {
    return this.redis && isRedisReady(this.redis) ? "l1+l2" : "l1";
  }

  async get<T>(type: CacheType, key: string): Promise<T | undefined> {
    const found = await this.lookup(type, key, null);
    if (found.kind === "hit") {
      this.count(type, "hits");
      return JSON.parse(found.json) as T;
    }
    this.count(type, "misses");
    return undefined;
  }

  /**
   * Stores a value that is current NOW: the freshness snapshot is read when
   * set() is called, so a value computed before a concurrent invalidation could
   * be stored as fresh. For read-through use getOrLoad(), which snapshots before
   * loading.
   */
  async set<T>(type: CacheType, key: string, value: T, options: { tags?: string[]; ttlSeconds?: number } = {}): Promise<void> {
    const tags = normalizeTags(options.tags);
    const ttlMs = this.ttlMs(type, options.ttlSeconds);
    if (!this.redis) {
      this.storeUnchecked(type, key, value, tags, ttlMs);
      return;
    }
    const redis = await this.usableRedis();
    if (redis) {
      try {
        const snapshot = await this.readSnapshot(type, key, tags);
        await this.storeChecked(type, key, value, tags, ttlMs, snapshot);
        return;
      } catch (error) {
        this.l2Failed(type, error, "set");
      }
    } else {
      this.bypassed(type, "set");
    }
    this.storeWhileOffline(type, key, value, tags, ttlMs);
  }

  async getOrLoad<T>(type: CacheType, key: string, load: Loader<T>, options: { tags?: string[]; ttlSeconds?: number } = {}): Promise<T> {
    const tags = normalizeTags(options.tags);
    const ttlMs = this.ttlMs(type, options.ttlSeconds);
    const id = this.keys.id(type, key);
    const joinedAt = ++this.tick;
    const localInvalidationAtJoin = this.lastLocalInvalidationTick;

    const running = this.flights.get(id);
    if (running) {
      const outcome = await running;
      if (this.mayShare(outcome, joinedAt, localInvalidationAtJoin)) {
        this.count(type, "hits");
        return (outcome.json === undefined ? outcome.value : JSON.parse(outcome.json)) as T;
      }
      // The flight may have decided before an invalidation this call must see: run our own.
    }
    const flight = this.readThrough(type, key, load, tags, ttlMs);
    this.flights.set(id, flight);
    try {
      return (await flight).value as T;
    } finally {
      if (this.flights.get(id) === flight) this.flights.delete(id);
    }
  }

  /**
   * Resolves once no read that starts afterwards, in any process, can return
   * a value this request covers. Rejects with CacheUnavailableError when Redis
   * could not be updated (this process's L1 is cleared anyway); the caller
   * re-queues the invalidation.
   */
  async invalidate(request: InvalidationRequest): Promise<void> {
    const plan = planInvalidation(request);
    if (plan.buckets.length === 0) return; // names nothing this cache could hold
    this.lastLocalInvalidationTick = ++this.tick;
    this.l1.deleteWhere((id, entry) => planCovers(plan, entry.type, id, entry.tags));
    plan.buckets.forEach((bucket) => this.count(bucket, "invalidations"));
    if (!this.redis || !this.generations) return;

    const redis = await this.gate?.usableWaiting(this.invalidateConnectWaitMs);
    if (!redis) {
      this.invalidationLost(plan);
      throw new CacheUnavailableError("Redis is unreachable: the invalidation reached this process's L1 only");
    }
    try {
      await this.generations.apply(plan, newStamp());
    } catch (error) {
      this.invalidationLost(plan);
      this.onError(error, "invalidate");
      throw new CacheUnavailableError(`Redis invalidation failed: ${errorText(error)}`, { cause: error });
    }
    await this.reclaim(redis, plan);
  }

  /** Loads and caches entries that are not cached yet (requirement 7.5); the caller picks them. */
  async warm(entries: readonly WarmEntry[], options: { concurrency?: number } = {}): Promise<WarmReport> {
    const report: WarmReport = { loaded: 0, alreadyCached: 0, failed: 0 };
    let next = 0;
    const worker = async () => {
      for (let entry = entries[next++]; entry; entry = entries[next++]) {
        const { type, key, load, tags, ttlSeconds } = entry;
        let loaded = false;
        try {
          const loadOnce: Loader<unknown> = (control) => {
            loaded = true;
            return load(control);
          };
          await this.getOrLoad(type, key, loadOnce, { tags, ttlSeconds });
          if (loaded) report.loaded++;
          else report.alreadyCached++;
        } catch (error) {
          report.failed++;
          this.onError(error, "warm");
        }
      }
    };
    const workers = Math.max(1, Math.min(options.concurrency ?? 4, entries.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return report;
  }

  /** Shared statistics when Redis is reachable, this process's own otherwise. */
  async stats(): Promise<CacheStats> {
    if (this.redis && isRedisReady(this.redis)) {
      try {
        await this.statsRecorder.flush(this.redis, this.keys.stats);
        return summarizeStats(await this.statsRecorder.readShared(this.redis, this.keys.stats), "l1+l2");
      } catch (error) {
        this.onError(error, "stats");
      }
    }
    return summarizeStats(this.statsRecorder.localTotals(), "l1");
  }

  /** Sends pending statistics now (best effort; they stay pending on failure). */
  async flushStats(): Promise<void> {
    if (!this.redis || !isRedisReady(this.redis) || !this.statsRecorder.hasPending) return;
    try {
      await this.statsRecorder.flush(this.redis, this.keys.stats);
    } catch (error) {
      this.onError(error, "flushStats");
    }
  }

  /** Zeroes the shared statistics (and this process's), e.g. before a measured run. */
  async resetStats(): Promise<void> {
    this.statsRecorder.resetLocal();
    if (this.redis && isRedisReady(this.redis)) await this.redis.unlink(this.keys.stats);
  }

  /**
   * The daily cache-cleanup job:
   * 1. drops expired L1 entries of this process;
   * 2. deletes generation keys not bumped for BOOKKEEPING_HORIZON_MS and pattern
   *    log entries older than that (no live entry can depend on them any more);
   * 3. compacts the statistics hash: removes zero counters and fields of
   *    buckets or metrics this version does not know (renamed types).
   * Values themselves need no cleanup: every one carries a Redis TTL.
   */
  async cleanup(): Promise<CleanupReport> {
    const report: CleanupReport = { l1Purged: this.l1.purgeStale(), generationsRemoved: 0, patternLogEntriesRemoved: 0, statsFieldsRemoved: 0 };
    if (!this.redis || !this.generations) return report;
    const redis = await this.usableRedis();
    if (!redis) throw new CacheUnavailableError("Redis is unreachable: cache cleanup skipped");
    Object.assign(report, await this.generations.dropExpiredBookkeeping(BOOKKEEPING_HORIZON_MS));
    report.statsFieldsRemoved = await this.compactStats(redis);
    return report;
  }

  /** Flushes statistics and stops timers. The Redis client belongs to its creator and stays open. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushStats();
    this.closed = true;
    this.gate?.close();
    this.flights.clear();
    this.l1.clear();
  }

  // ---------------------------------------------------------------- reading

  private async readThrough(type: CacheType, key: string, loader: Loader<unknown>, tags: string[], ttlMs: number): Promise<FlightOutcome> {
    const found = await this.lookup(type, key, tags);
    if (found.kind === "hit") {
      this.count(type, "hits");
      return { value: JSON.parse(found.json), json: found.json, decidedAt: found.decidedAt, trust: found.trust };
    }
    this.count(type, "misses");
    let storable = true;
    const load = () => loader({ doNotStore: () => void (storable = false) });

    if (found.mode === "l1-only") {
      const decidedAt = ++this.tick;
      const value = await load();
      // A local invalidation during the load may concern what was loaded: do not keep it.
      const json = storable && this.lastLocalInvalidationTick < decidedAt ? this.storeUnchecked(type, key, value, tags, ttlMs) : undefined;
      return { value, json, decidedAt, trust: "local" };
    }
    if (found.mode === "offline") {
      const decidedAt = ++this.tick;
      const value = await load();
      const immutable = this.policies[type].immutable;
      const json = storable && immutable ? this.storeUnchecked(type, key, value, tags, ttlMs) : undefined;
      return { value, json, decidedAt, trust: immutable ? "always" : "after-decision" };
    }

    let snapshot = found.snapshot;
    if (!snapshot) {
      try {
        snapshot = await this.readSnapshot(type, key, tags);
      } catch (error) {
        this.l2Failed(type, error, "snapshot");
      }
    }
    const decidedAt = ++this.tick;
    const value = await load();
    const json = snapshot && storable ? await this.storeChecked(type, key, value, tags, ttlMs, snapshot) : undefined;
    return { value, json, decidedAt, trust: "after-decision" };
  }

  /**
   * L1, then L2, each hit checked against current stamps. On a miss, returns a
   * snapshot already read for the wanted tags, if any, for storing the load.
   */
  private async lookup(type: CacheType, key: string, wantedTags: string[] | null): Promise<Lookup> {
    const id = this.keys.id(type, key);
    const local = this.l1.get(id);
    if (!this.redis || !this.l2) {
      const decidedAt = ++this.tick;
      return local ? { kind: "hit", json: local.json, decidedAt, trust: "local" } : { kind: "miss", mode: "l1-only", snapshot: null };
    }
    const redis = await this.usableRedis();
    if (!redis) {
      this.bypassed(type, "get");
      return this.lookupOffline(type, local);
    }
    try {
      let reusable: Snapshot | null = null;
      if (local) {
        if (local.stamps) {
          const current = await this.readSnapshot(type, key, local.tags);
          if (await this.isFresh(type, id, local, current)) return { kind: "hit", json: local.json, decidedAt: current.tick, trust: "after-decision" };
          if (wantedTags && sameTags(wantedTags, local.tags)) reusable = current;
        }
        this.l1.delete(id);
      }
      const stored = await this.l2.read(type, key);
      if (stored) {
        const current = await this.readSnapshot(type, key, stored.meta.tags);
        if (await this.isFresh(type, id, stored.meta, current)) {
          const lifetimeMs = Math.min(stored.remainingMs, this.policies[type].ttlSeconds * 1000);
          this.l1.set(id, { type, json: stored.json, ...stored.meta }, lifetimeMs);
          return { kind: "hit", json: stored.json, decidedAt: current.tick, trust: "after-decision" };
        }
        if (wantedTags && sameTags(wantedTags, stored.meta.tags)) reusable = current;
      }
      return { kind: "miss", mode: "l2", snapshot: reusable };
    } catch (error) {
      this.l2Failed(type, error, "get");
      return this.lookupOffline(type, this.l1.get(id));
    }
  }

  /** Redis unreachable: only immutable values may come from L1, since none can have been invalidated. */
  private lookupOffline(type: CacheType, local: L1Entry | undefined): Lookup {
    if (local && this.policies[type].immutable) return { kind: "hit", json: local.json, decidedAt: ++this.tick, trust: "always" };
    return { kind: "miss", mode: "offline", snapshot: null };
  }

  /** Checks `meta` against `current`; on success advances its sequence so the log is not re-read. */
  private async isFresh(type: CacheType, id: string, meta: EntryMeta, current: Snapshot): Promise<boolean> {
    const verdict = judge(meta, current);
    if (verdict === "stale") return false;
    if (verdict === "check-pattern-log") {
      if (await this.generationStore().patternInvalidatedSince(type, meta.sequence, id)) return false;
      meta.sequence = current.sequence;
    }
    return true;
  }

  private async readSnapshot(type: CacheType, key: string, tags: readonly string[]): Promise<Snapshot> {
    const snapshot = await this.generationStore().readSnapshot(type, key, tags, ++this.tick);
    // The epoch vanished (FLUSHALL, eviction): re-run the connection check, which draws a new one.
    if (snapshot.stamps[0] == null) this.gate?.recheck();
    return snapshot;
  }

  private mayShare(outcome: FlightOutcome, joinedAt: number, localInvalidationAtJoin: number): boolean {
    switch (outcome.trust) {
      case "always":
        return true;
      case "after-decision":
        return outcome.decidedAt > joinedAt;
      case "local":
        return localInvalidationAtJoin < outcome.decidedAt;
    }
  }

  // ---------------------------------------------------------------- writing

  /** Stores with a snapshot; lifetime counts from the snapshot so bookkeeping cleanup stays safe. */
  private async storeChecked(type: CacheType, key: string, value: unknown, tags: string[], ttlMs: number, snapshot: Snapshot): Promise<string | undefined> {
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) return undefined;
    if (snapshot.stamps[0] == null) return json; // no epoch: could never be proven fresh
    const remainingMs = ttlMs - (performance.now() - snapshot.sentAtMs);
    if (remainingMs <= 0) return json;
    const meta: EntryMeta = { tags, stamps: snapshot.stamps, sequence: snapshot.sequence };
    this.l1.set(this.keys.id(type, key), { type, json, ...meta }, remainingMs);
    this.count(type, "sets");
    try {
      await this.l2?.write(type, key, meta, json, remainingMs);
    } catch (error) {
      this.l2Failed(type, error, "set");
    }
    return json;
  }

  /** L1-only mode, or an immutable value while Redis is unreachable: stored without stamps. */
  private storeUnchecked(type: CacheType, key: string, value: unknown, tags: string[], ttlMs: number): string | undefined {
    const json = value === undefined ? undefined : JSON.stringify(value);
    if (json === undefined) return undefined;
    this.l1.set(this.keys.id(type, key), { type, json, tags, stamps: null, sequence: 0 }, ttlMs);
    this.count(type, "sets");
    return json;
  }

  private storeWhileOffline(type: CacheType, key: string, value: unknown, tags: string[], ttlMs: number): void {
    if (this.policies[type].immutable) this.storeUnchecked(type, key, value, tags, ttlMs);
    else this.l1.delete(this.keys.id(type, key));
  }

  // ----------------------------------------------------------- invalidating

  /** Memory reclamation after a successful invalidation; correctness never depends on it. */
  private async reclaim(redis: RedisClient, plan: InvalidationPlan): Promise<void> {
    const work: Array<Promise<unknown>> = [];
    if (plan.keys.length > 0 && this.l2) work.push(this.l2.unlink(plan.keys));
    for (const { pattern } of plan.loggedPatterns) work.push(unlinkMatching(redis, this.keys.valueMatch(pattern)));
    for (const result of await Promise.allSettled(work)) {
      if (result.status === "rejected") {
        this.count("all", "errors");
        this.onError(result.reason, "reclaim");
      }
    }
  }

  /**
   * Remembers that an invalidation may not have reached Redis and forces a new
   * connection check, which draws a new epoch (discarding every entry) before
   * this process uses Redis again.
   */
  private invalidationLost(plan: InvalidationPlan): void {
    this.gate?.invalidationLost();
    new Set(plan.buckets.length > 0 ? plan.buckets : ["all"]).forEach((bucket) => this.count(bucket, "errors"));
    this.onBypass("invalidate");
  }

  /** The Redis client if this operation may use it (see ConnectionGate), else null. */
  private async usableRedis(): Promise<RedisClient | null> {
    return this.closed || !this.gate ? null : this.gate.usable();
  }

  private l2Failed(bucket: string, error: unknown, operation: string): void {
    this.bypassed(bucket, operation);
    this.onError(error, operation);
    this.gate?.commandFailed();
  }

  /** Counted as an error in the statistics, and reported as a degraded operation. */
  private bypassed(bucket: string, operation: string): void {
    this.count(bucket, "errors");
    this.onBypass(operation);
  }

  private generationStore(): GenerationStore {
    if (!this.generations) throw new Error("no Redis configured");
    return this.generations;
  }

  // ------------------------------------------------------------- utilities

  private count(bucket: string, metric: StatMetric): void {
    this.statsRecorder.record(bucket, metric);
  }

  private ttlMs(type: CacheType, ttlSeconds: number | undefined): number {
    return (ttlSeconds === undefined ? this.policies[type].ttlSeconds : clampTtlSeconds(ttlSeconds)) * 1000;
  }

  private async compactStats(redis: RedisClient): Promise<number> {
    await this.statsRecorder.flush(redis, this.keys.stats);
    const hash = await redis.hgetall(this.keys.stats);
    const known = new Set<string>([...CacheTypes, ...EXTRA_STATS_BUCKETS]);
    const doomed = Object.entries(hash)
      .filter(([field, value]) => {
        const parsed = parseStatsField(field);
        return !parsed || !known.has(parsed.bucket) || Number(value) === 0;
      })
      .map(([field]) => field);
    if (doomed.length > 0) await redis.hdel(this.keys.stats, ...doomed);
    return doomed.length;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
