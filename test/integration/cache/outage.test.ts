/**
 * Redis outages, on a redis-server this test starts, kills and restarts.
 *
 * Every request must still be answered (no exception from get/getOrLoad), no
 * stale value may ever be served, errors must be counted, and after recovery
 * nothing written before the outage that missed an invalidation may come back:
 * with persistence on, the restarted Redis still holds the old L2 values and
 * the old generation stamps, which is the hard case.
 */
import { afterEach, describe, expect, it } from "vitest";
import { closeRedisClient, isRedisReady, newRedisClient } from "@shared/adapters/redis/redisClient";
import type { RedisClient } from "@shared/adapters/redis/redisClient";
import { CacheKeys, TwoLayerCache } from "@shared/cache";
import { CacheUnavailableError } from "@shared/ports/cache";
import type { InvalidationRequest } from "@shared/ports/cache";
import { startRedisServer, waitUntil } from "../../helpers/redisServer";
import type { TestRedisServer } from "../../helpers/redisServer";
import { sleep, uniqueNamespace } from "./support";

interface Versioned {
  key: string;
  version: number;
}

/** A source of truth plus the checks a caller of the cache would make. */
class Workload {
  readonly source = new Map<string, number>();
  /** Per key, the newest version whose update has completed (invalidate() settled). */
  readonly committed = new Map<string, number>();
  readonly violations: string[] = [];
  readonly failures: string[] = [];
  /** Invalidations the caller would re-queue (the cache-invalidation queue). */
  readonly requeued: InvalidationRequest[] = [];
  loads = 0;

  /** `everyProcessOffline`: whether no cache can reach Redis (then a failed invalidation must still leave nothing stale). */
  constructor(private readonly everyProcessOffline: () => boolean = () => true) {}

  load(key: string) {
    return async (): Promise<Versioned> => {
      this.loads++;
      return { key, version: this.source.get(key) ?? 0 };
    };
  }

  async read(cache: TwoLayerCache, key: string, via: "getOrLoad" | "get" = "getOrLoad"): Promise<Versioned | undefined> {
    const expected = this.committed.get(key) ?? 0;
    try {
      const value =
        via === "getOrLoad" ? await cache.getOrLoad("resource", key, this.load(key), { tags: [`resource:${key}`] }) : await cache.get<Versioned>("resource", key);
      // Newer is fine (a concurrent update may land during the read); older is stale.
      if (value && value.version < expected) this.violations.push(`${via} ${key}: v${value.version} served, v${expected} was committed when the read started`);
      return value;
    } catch (error) {
      this.failures.push(`${via} ${key} threw ${String(error)}`);
      return undefined;
    }
  }

  /** Writes the source, then invalidates; a CacheUnavailableError is re-queued as the API would. */
  async update(cache: TwoLayerCache, key: string, how: "key" | "tag" | "pattern"): Promise<"ok" | "requeued"> {
    const version = (this.source.get(key) ?? 0) + 1;
    this.source.set(key, version);
    const commit = () => this.committed.set(key, Math.max(this.committed.get(key) ?? 0, version));
    const request: InvalidationRequest =
      how === "key" ? { keys: [{ type: "resource", key }] } : how === "tag" ? { tags: [`resource:${key}`] } : { patterns: [`resource:${key}*`] };
    try {
      await cache.invalidate(request);
      commit();
      return "ok";
    } catch (error) {
      if (!(error instanceof CacheUnavailableError)) this.failures.push(`invalidate ${key} threw ${String(error)}`);
      this.requeued.push(request);
      // While no process reaches Redis, nobody may serve the old value even though
      // Redis missed the invalidation (mutable types bypass L1, and whoever
      // reconnects first sees a restarted server and draws a new epoch). If some
      // process does reach Redis, the update completes when the queue's retry does.
      if (this.everyProcessOffline()) commit();
      return "requeued";
    }
  }
}

describe("Redis outage", () => {
  let server: TestRedisServer | undefined;
  const clients: RedisClient[] = [];
  const caches: TwoLayerCache[] = [];

  const open = (namespace: string, invalidateConnectWaitMs = 0) => {
    if (!server) throw new Error("no server");
    const client = newRedisClient({ url: server.url, onError: () => {} });
    const cache = new TwoLayerCache({ redis: client, namespace, statsFlushIntervalMs: 0, invalidateConnectWaitMs });
    clients.push(client);
    caches.push(cache);
    return { client, cache };
  };

  afterEach(async () => {
    await Promise.all(caches.splice(0).map((cache) => cache.close()));
    await Promise.all(clients.splice(0).map((client) => closeRedisClient(client)));
    await server?.dispose();
    server = undefined;
  });

  it("keeps answering with fresh values while Redis crashes and restarts mid-run", async () => {
    server = await startRedisServer({ persistent: true });
    const namespace = uniqueNamespace();
    // Invalidations wait up to 300 ms for a reconnection; the outage lasts longer.
    const a = open(namespace, 300);
    const b = open(namespace, 300);
    const work = new Workload(() => !isRedisReady(a.client) && !isRedisReady(b.client));
    const keys = ["k1", "k2", "k3", "k4"];
    let running = true;
    let operations = 0;

    const driver = async (seed: number) => {
      // mulberry32: small, deterministic, so a failing schedule can be replayed.
      let state = seed;
      const next = (n: number) => {
        state = (state + 0x6d2b79f5) | 0;
        let t = Math.imul(state ^ (state >>> 15), 1 | state);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) % n;
      };
      while (running) {
        const cache = next(2) === 0 ? a.cache : b.cache;
        const key = keys[next(keys.length)] as string;
        if (next(6) === 0) await work.update(cache, key, (["key", "tag", "pattern"] as const)[next(3)] ?? "key");
        else await work.read(cache, key, next(5) === 0 ? "get" : "getOrLoad");
        operations++;
        await sleep(2);
      }
    };
    const drivers = [driver(1), driver(2), driver(3)];

    await sleep(300);
    await server.kill();
    await sleep(600);
    await server.restart();
    await waitUntil(() => isRedisReady(a.client) && isRedisReady(b.client), 10_000, "clients reconnected");
    await sleep(300);
    running = false;
    await Promise.all(drivers);

    expect(work.failures).toEqual([]);
    expect(work.violations).toEqual([]);
    expect(operations).toBeGreaterThan(100);
    expect(work.requeued.length).toBeGreaterThan(0); // some invalidations did hit the outage
    // The queue retries them once Redis is back.
    for (const request of work.requeued) await a.cache.invalidate(request);
    for (const key of keys) {
      await work.read(a.cache, key);
      await work.read(b.cache, key);
    }
    expect(work.violations).toEqual([]);
    await a.cache.flushStats();
    const stats = await b.cache.stats();
    expect(stats.layers).toBe("l1+l2");
    expect(stats.errors).toBeGreaterThan(0);
    expect(stats.hits).toBeGreaterThan(0);
  }, 30_000);

  it("never serves a value whose invalidation was lost in the outage, though persistence brings it back into L2", async () => {
    server = await startRedisServer({ persistent: true });
    const namespace = uniqueNamespace();
    const cacheKeys = new CacheKeys(namespace);
    const a = open(namespace);
    const b = open(namespace);
    const work = new Workload();

    // Before: both processes hold v0 of "doc" in L1, and L2 holds it too.
    expect(await work.read(a.cache, "doc")).toEqual({ key: "doc", version: 0 });
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 0 });
    expect(await a.cache.getOrLoad("embedding", "sha256:abc", async () => [0.1, 0.2])).toEqual([0.1, 0.2]);
    const loadsBefore = work.loads;

    await server.kill();
    await waitUntil(() => !isRedisReady(a.client) && !isRedisReady(b.client), 5_000, "clients noticed the crash");

    // An update during the outage: its invalidation cannot reach Redis.
    expect(await work.update(a.cache, "doc", "tag")).toBe("requeued");
    // Every request still answers, with the new version (mutable types bypass L1 while L2 is down).
    for (let i = 0; i < 10; i++) {
      expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 1 });
      expect(await work.read(a.cache, "doc")).toEqual({ key: "doc", version: 1 });
      expect(await work.read(b.cache, "doc", "get")).toBeUndefined();
    }
    expect(work.loads).toBe(loadsBefore + 20);
    // Immutable values are still served from L1 without loading.
    expect(await a.cache.getOrLoad("embedding", "sha256:abc", async () => [9])).toEqual([0.1, 0.2]);
    await expect(a.cache.set("resource", "other", 1)).resolves.toBeUndefined();
    expect((await a.cache.stats()).layers).toBe("l1");

    await server.restart();
    // The hard case is real: the restarted Redis still has the pre-outage value and stamps.
    const raw = newRedisClient({ url: server.url, onError: () => {} });
    clients.push(raw);
    await waitUntil(() => isRedisReady(raw), 5_000, "raw client ready");
    expect(await raw.get(cacheKeys.value("resource", "doc"))).toContain('"version":0');
    expect(await raw.exists(cacheKeys.epoch)).toBe(1);

    await waitUntil(() => isRedisReady(a.client) && isRedisReady(b.client), 10_000, "clients reconnected");
    // B never saw the failed invalidation, and reads first.
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 1 });
    expect(await work.read(b.cache, "doc", "get")).toEqual({ key: "doc", version: 1 });
    // A drew a new epoch on reconnecting (it had lost an invalidation): a miss is fine, v0 is not.
    await work.read(a.cache, "doc", "get");
    expect(await work.read(a.cache, "doc")).toEqual({ key: "doc", version: 1 });
    // A process started after the outage, reading L2 first.
    const c = open(namespace);
    expect(await work.read(c.cache, "doc", "get")).toEqual({ key: "doc", version: 1 });
    expect(work.failures).toEqual([]);
    expect(work.violations).toEqual([]);

    // The queue's retry succeeds now.
    for (const request of work.requeued) await a.cache.invalidate(request);
    await a.cache.flushStats();
    const stats = await b.cache.stats();
    expect(stats.errors).toBeGreaterThan(0);
    expect(stats.byType.resource?.errors).toBeGreaterThan(0);
  }, 30_000);

  it("discards everything after a restart that lost the data, even with no failed invalidation", async () => {
    server = await startRedisServer({ persistent: false });
    const namespace = uniqueNamespace();
    const a = open(namespace);
    const b = open(namespace);
    const work = new Workload();
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 0 });

    await server.kill();
    await waitUntil(() => !isRedisReady(b.client), 5_000, "B noticed the crash");
    // A restarted process updates and invalidates against the empty new server...
    await server.restart();
    await waitUntil(() => isRedisReady(a.client), 10_000, "A reconnected");
    expect(await work.update(a.cache, "doc", "key")).toBe("ok");
    // ...so the new server has no trace of B's stamps: the epoch check is what protects B.
    await waitUntil(() => isRedisReady(b.client), 10_000, "B reconnected");
    expect(await work.read(b.cache, "doc", "get")).toBeUndefined();
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 1 });
    expect(work.violations).toEqual([]);
  }, 30_000);

  it("an invalidation issued during a short outage waits for the reconnection instead of failing", async () => {
    server = await startRedisServer();
    const namespace = uniqueNamespace();
    const a = open(namespace, 5_000);
    const b = open(namespace);
    const work = new Workload();
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 0 });
    await server.kill();
    await waitUntil(() => !isRedisReady(a.client), 5_000, "A noticed the crash");
    const pending = work.update(a.cache, "doc", "key");
    await sleep(200);
    await server.restart();
    expect(await pending).toBe("ok");
    await waitUntil(() => isRedisReady(b.client), 10_000, "B reconnected");
    expect(await work.read(b.cache, "doc")).toEqual({ key: "doc", version: 1 });
    expect(work.violations).toEqual([]);
  }, 30_000);

  it("answers from L1 only when Redis is down from the start, and uses Redis once it is up", async () => {
    server = await startRedisServer();
    const port = server.port;
    await server.kill();
    const namespace = uniqueNamespace();
    const a = open(namespace);
    const work = new Workload();
    const started = Date.now();
    expect(await work.read(a.cache, "doc")).toEqual({ key: "doc", version: 0 });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(await a.cache.getOrLoad("quality", "r1@1", async () => 0.9)).toBe(0.9);
    expect(await a.cache.getOrLoad("quality", "r1@1", async () => 0.1)).toBe(0.9);
    await server.restart();
    expect(server.port).toBe(port);
    await waitUntil(() => isRedisReady(a.client), 10_000, "client connected");
    expect(await work.read(a.cache, "doc")).toEqual({ key: "doc", version: 0 });
    expect(await a.cache.get("resource", "doc")).toEqual({ key: "doc", version: 0 });
    expect(a.cache.layers).toBe("l1+l2");
    expect(work.failures).toEqual([]);
  }, 30_000);
});
