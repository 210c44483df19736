/**
 * TwoLayerCache against the real Redis (the run's shared one, test/helpers/sharedRedis.ts). Two caches with their
 * own ioredis clients stand for two processes (two Lambda containers).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { closeRedisClient, createRedisClient, newRedisClient } from "@shared/adapters/redis/redisClient";
import type { RedisClient } from "@shared/adapters/redis/redisClient";
import { CacheKeys, TwoLayerCache } from "@shared/cache";
import { CacheUnavailableError } from "@shared/ports/cache";
import { deferred, dropNamespace, sleep, uniqueNamespace } from "./support";
import { waitUntil } from "../../helpers/redisServer";
import { sharedRedisUrl } from "../../helpers/sharedRedis";

describe("TwoLayerCache with Redis", () => {
  let namespace: string;
  let keys: CacheKeys;
  let clientA: RedisClient;
  let clientB: RedisClient;
  let a: TwoLayerCache;
  let b: TwoLayerCache;

  beforeEach(() => {
    namespace = uniqueNamespace();
    keys = new CacheKeys(namespace);
    clientA = newRedisClient({ url: sharedRedisUrl() });
    clientB = newRedisClient({ url: sharedRedisUrl() });
    a = new TwoLayerCache({ redis: clientA, namespace, statsFlushIntervalMs: 0 });
    b = new TwoLayerCache({ redis: clientB, namespace, statsFlushIntervalMs: 0 });
  });

  afterEach(async () => {
    await a.close();
    await b.close();
    await waitUntil(() => clientA.status === "ready", 5_000, "client A reconnected");
    await dropNamespace(clientA, namespace);
    await closeRedisClient(clientA);
    await closeRedisClient(clientB);
  });

  it("misses, stores in both layers, and hits from L2 in another process", async () => {
    expect(await b.get("resource", "1")).toBeUndefined();
    await a.set("resource", "1", { title: "A" }, { tags: ["resource:1"] });
    expect(await clientA.exists(keys.value("resource", "1"))).toBe(1);
    expect(await b.get("resource", "1")).toEqual({ title: "A" });
    // Now in B's L1 as well: still served after the L2 copy is gone.
    await clientA.unlink(keys.value("resource", "1"));
    expect(await b.get("resource", "1")).toEqual({ title: "A" });
    expect(a.layers).toBe("l1+l2");
  });

  it("expires values in both layers after their TTL", async () => {
    await a.set("search", "q", [1, 2], { ttlSeconds: 0.3 });
    expect(await b.get("search", "q")).toEqual([1, 2]);
    const pttl = await clientA.pttl(keys.value("search", "q"));
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(300);
    await sleep(400);
    expect(await a.get("search", "q")).toBeUndefined();
    expect(await b.get("search", "q")).toBeUndefined();
  });

  it("uses the per-type TTL for L2", async () => {
    await a.set("recommendations", "user:1", ["r"]);
    await a.set("embedding", "sha256:abc", [0.1]);
    expect(await clientA.pttl(keys.value("recommendations", "user:1"))).toBeLessThanOrEqual(5 * 60 * 1000);
    expect(await clientA.pttl(keys.value("embedding", "sha256:abc"))).toBeGreaterThan(6 * 24 * 3600 * 1000);
  });

  it("exact-key invalidation reaches the other process's L1 and deletes the L2 value", async () => {
    await a.set("resource", "1", "v1");
    await a.set("resource", "2", "other");
    expect(await b.get("resource", "1")).toBe("v1");
    expect(await b.get("resource", "2")).toBe("other");
    await a.invalidate({ keys: [{ type: "resource", key: "1" }] });
    expect(await b.get("resource", "1")).toBeUndefined();
    expect(await b.get("resource", "2")).toBe("other");
    expect(await clientA.exists(keys.value("resource", "1"))).toBe(0);
  });

  it("tag invalidation reaches every process and every type carrying the tag", async () => {
    await a.set("resource", "1", "doc", { tags: ["resource:1"] });
    await a.set("search", "q:text", ["1", "2"], { tags: ["search", "resource:1"] });
    await a.set("search", "q:other", ["3"], { tags: ["search"] });
    expect(await b.get("search", "q:text")).toEqual(["1", "2"]);
    await b.invalidate({ tags: ["resource:1"] });
    expect(await a.get("resource", "1")).toBeUndefined();
    expect(await a.get("search", "q:text")).toBeUndefined();
    expect(await b.get("search", "q:text")).toBeUndefined();
    expect(await a.get("search", "q:other")).toEqual(["3"]);
  });

  it("narrow pattern invalidation reaches other processes' L1 and SCAN-unlinks matching L2 values only", async () => {
    await a.set("neighbors", "ab", "n-ab");
    await a.set("neighbors", "ac", "n-ac");
    await a.set("neighbors", "cd", "n-cd");
    for (const key of ["ab", "ac", "cd"]) expect(await b.get("neighbors", key)).toBe(`n-${key}`);
    await a.invalidate({ patterns: ["neighbors:a*"] });
    expect(await b.get("neighbors", "ab")).toBeUndefined();
    expect(await b.get("neighbors", "ac")).toBeUndefined();
    expect(await b.get("neighbors", "cd")).toBe("n-cd");
    expect(await clientA.exists(keys.value("neighbors", "ab"), keys.value("neighbors", "ac"))).toBe(0);
    expect(await clientA.exists(keys.value("neighbors", "cd"))).toBe(1);
  });

  it("an entry stored before a narrow pattern stays invalid even if its L2 copy survived the scan", async () => {
    await a.set("neighbors", "ab", "old");
    // Keep a raw copy of the L2 value, invalidate, and put the copy back (a writer racing the SCAN).
    const raw = await clientA.get(keys.value("neighbors", "ab"));
    await a.invalidate({ patterns: ["neighbors:a?"] });
    await clientA.set(keys.value("neighbors", "ab"), raw ?? "", "PX", 60_000);
    expect(await b.get("neighbors", "ab")).toBeUndefined();
    // A value stored after the pattern is fresh, and stays fresh across later unrelated patterns.
    await b.set("neighbors", "ab", "new");
    await a.invalidate({ patterns: ["neighbors:z*"] });
    expect(await a.get("neighbors", "ab")).toBe("new");
    expect(await b.get("neighbors", "ab")).toBe("new");
  });

  it("`<type>:*` invalidates the whole type everywhere without touching other types", async () => {
    await a.set("search", "q1", 1);
    await a.set("search", "q2", 2);
    await a.set("resource", "1", "r");
    expect(await b.get("search", "q1")).toBe(1);
    await b.invalidate({ patterns: ["search:*"] });
    expect(await a.get("search", "q1")).toBeUndefined();
    expect(await b.get("search", "q2")).toBeUndefined();
    expect(await b.get("resource", "1")).toBe("r");
  });

  it("a load that read the source before an update never becomes a cached value after the update's invalidation", async () => {
    const source = new Map([["1", "v1"]]);
    const gate = deferred();
    const loading = deferred();
    const slowRead = a.getOrLoad(
      "resource",
      "1",
      async () => {
        const seen = source.get("1");
        loading.resolve();
        await gate.promise;
        return seen;
      },
      { tags: ["resource:1"] },
    );
    await loading.promise;
    source.set("1", "v2");
    await b.invalidate({ tags: ["resource:1"] });
    gate.resolve();
    expect(await slowRead).toBe("v1"); // started before the update: allowed
    const load = async () => source.get("1");
    expect(await a.getOrLoad("resource", "1", load, { tags: ["resource:1"] })).toBe("v2");
    expect(await b.getOrLoad("resource", "1", load, { tags: ["resource:1"] })).toBe("v2");
  });

  it("single-flight: concurrent getOrLoad runs load once per process", async () => {
    let loads = 0;
    const gate = deferred();
    const load = async () => {
      loads++;
      await gate.promise;
      return { answer: 42 };
    };
    const reads = Array.from({ length: 25 }, () => a.getOrLoad("search", "q", load));
    await sleep(30);
    gate.resolve();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values).toEqual(Array.from({ length: 25 }, () => ({ answer: 42 })));
    // The other process now hits L2 instead of loading.
    expect(await b.getOrLoad("search", "q", load)).toEqual({ answer: 42 });
    expect(loads).toBe(1);
  });

  it("keeps a declined value out of both layers", async () => {
    let loads = 0;
    const load = async (control: { doNotStore(): void }) => {
      loads++;
      if (loads === 1) control.doNotStore();
      return { n: loads };
    };
    expect(await a.getOrLoad("search", "declined", load)).toEqual({ n: 1 });
    expect(await b.get("search", "declined")).toBeUndefined();
    expect(await a.getOrLoad("search", "declined", load)).toEqual({ n: 2 });
    expect(await b.getOrLoad("search", "declined", load)).toEqual({ n: 2 });
    expect(loads).toBe(2);
  });

  it("single-flight does not share a flight that decided before another process's invalidation", async () => {
    const source = { value: "old" };
    const gate = deferred();
    const loading = deferred();
    const load = async () => {
      const seen = source.value;
      loading.resolve();
      await gate.promise;
      return seen;
    };
    const early = a.getOrLoad("resource", "1", load);
    await loading.promise; // the flight has read Redis and is loading "old"
    source.value = "new";
    await b.invalidate({ keys: [{ type: "resource", key: "1" }] });
    const late = a.getOrLoad("resource", "1", load);
    gate.resolve();
    expect(await early).toBe("old");
    expect(await late).toBe("new");
  });

  it("shares statistics between processes", async () => {
    await a.resetStats();
    await a.set("resource", "1", "r");
    await a.get("resource", "1");
    await b.get("resource", "1");
    await b.get("resource", "missing");
    await b.invalidate({ tags: ["x"] });
    await a.flushStats();
    const fromB = await b.stats();
    expect(fromB).toMatchObject({ hits: 2, misses: 1, sets: 1, invalidations: 1, errors: 0, layers: "l1+l2", totalOperations: 5 });
    expect(fromB.hitRate).toBeCloseTo(2 / 3);
    expect(fromB.byType.resource).toMatchObject({ hits: 2, misses: 1, sets: 1 });
    expect(fromB.byType.tags).toMatchObject({ invalidations: 1 });
    expect(await a.stats()).toEqual(fromB);
  });

  it("warms both layers", async () => {
    const report = await a.warm([
      { type: "resource", key: "1", load: async () => "one", tags: ["resource:1"] },
      { type: "search", key: "popular", load: async () => ["1"] },
    ]);
    expect(report).toEqual({ loaded: 2, alreadyCached: 0, failed: 0 });
    expect(await b.get("search", "popular")).toEqual(["1"]);
    expect((await b.warm([{ type: "resource", key: "1", load: async () => "again" }])).alreadyCached).toBe(1);
  });

  it("discards everything when the epoch disappears (FLUSHALL, eviction)", async () => {
    await a.set("resource", "1", "r");
    expect(await b.get("resource", "1")).toBe("r");
    await clientA.unlink(keys.epoch);
    expect(await b.get("resource", "1")).toBeUndefined();
    expect(await a.get("resource", "1")).toBeUndefined();
    // A new epoch is drawn and caching works again.
    await a.set("resource", "1", "r2");
    expect(await b.get("resource", "1")).toBe("r2");
  });

  it("a process whose invalidation failed draws a new epoch before it uses Redis again", async () => {
    await a.set("resource", "1", "v1");
    expect(await b.get("resource", "1")).toBe("v1");
    // Partition process A only: Redis itself keeps running and B still reaches it.
    clientA.disconnect(false);
    await waitUntil(() => clientA.status === "end", 2_000, "A disconnected");
    await expect(a.invalidate({ keys: [{ type: "resource", key: "1" }] })).rejects.toBeInstanceOf(CacheUnavailableError);
    // Until A is back, B cannot know (the caller re-queues the invalidation).
    expect(await b.get("resource", "1")).toBe("v1");
    await clientA.connect();
    // A's first use of Redis draws a new epoch; B sees that on its next read.
    expect(await a.get("resource", "1")).toBeUndefined();
    expect(await b.get("resource", "1")).toBeUndefined();
    const stats = await a.stats();
    expect(stats.errors).toBeGreaterThan(0);
  });

  it("cleanup deletes idle generation keys, old pattern log entries and stray stats fields only", async () => {
    await a.invalidate({ tags: ["old-tag", "recent-tag"], patterns: ["resource:ab*"] });
    const oldGeneration = keys.tagGeneration("old-tag");
    await clientA.zadd(keys.generationIndex, 1, oldGeneration); // last bumped long ago
    await clientA.zadd(keys.patternLog("resource"), 0, "0|1|resource:zz*"); // logged long ago
    await clientA.hset(keys.stats, "renamed-type:hits", "3");
    const report = await a.cleanup();
    expect(report).toMatchObject({ generationsRemoved: 1, patternLogEntriesRemoved: 1 });
    expect(report.statsFieldsRemoved).toBeGreaterThanOrEqual(1);
    expect(await clientA.exists(oldGeneration)).toBe(0);
    expect(await clientA.exists(keys.tagGeneration("recent-tag"))).toBe(1);
    expect(await clientA.zcard(keys.patternLog("resource"))).toBe(1);
    expect(await clientA.hexists(keys.stats, "renamed-type:hits")).toBe(0);
  });

  it("works with a client that has its own ioredis keyPrefix", async () => {
    const prefixed = createRedisClient({ url: sharedRedisUrl(), keyPrefix: "pfx:" });
    const cache = new TwoLayerCache({ redis: prefixed, namespace, statsFlushIntervalMs: 0 });
    try {
      await cache.set("neighbors", "ab", 1);
      expect(await clientA.exists(`pfx:${keys.value("neighbors", "ab")}`)).toBe(1);
      await cache.invalidate({ patterns: ["neighbors:a*"], tags: ["t"] });
      expect(await clientA.exists(`pfx:${keys.value("neighbors", "ab")}`)).toBe(0);
      expect(await cache.get("neighbors", "ab")).toBeUndefined();
      await clientA.zadd(`pfx:${keys.generationIndex}`, 1, `pfx:${keys.tagGeneration("t")}`);
      expect((await cache.cleanup()).generationsRemoved).toBe(1);
    } finally {
      await cache.close();
      await dropNamespace(clientA, `pfx:${namespace}`);
      await closeRedisClient(prefixed);
    }
  });

  it("createRedisClient hands out one client per process and options", () => {
    const first = createRedisClient({ url: sharedRedisUrl(), keyPrefix: "memo:" });
    expect(createRedisClient({ url: sharedRedisUrl(), keyPrefix: "memo:" })).toBe(first);
    first.disconnect();
  });
});
