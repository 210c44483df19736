/**
 * TwoLayerCache without Redis: L1 only, one process.
 */
import { afterEach, describe, expect, it } from "vitest";
import { TwoLayerCache } from "@shared/cache";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("TwoLayerCache in L1-only mode", () => {
  let cache: TwoLayerCache;
  afterEach(async () => {
    await cache.close();
  });

  it("misses, then hits, and reports layer l1", async () => {
    cache = new TwoLayerCache();
    expect(await cache.get("resource", "1")).toBeUndefined();
    await cache.set("resource", "1", { title: "A" });
    expect(await cache.get("resource", "1")).toEqual({ title: "A" });
    const stats = await cache.stats();
    expect(stats).toMatchObject({ hits: 1, misses: 1, sets: 1, layers: "l1" });
    expect(cache.layers).toBe("l1");
  });

  it("returns but does not keep a value whose loader declined storage", async () => {
    cache = new TwoLayerCache();
    let loads = 0;
    const load = async (control: { doNotStore(): void }) => {
      loads++;
      if (loads === 1) control.doNotStore();
      return `v${loads}`;
    };
    expect(await cache.getOrLoad("search", "q", load)).toBe("v1");
    expect(await cache.getOrLoad("search", "q", load)).toBe("v2");
    expect(await cache.getOrLoad("search", "q", load)).toBe("v2");
    expect(loads).toBe(2);
  });

  it("hands out copies, so a caller mutating a value cannot corrupt the cache", async () => {
    cache = new TwoLayerCache();
    await cache.set("resource", "1", { tags: ["a"] });
    const first = await cache.get<{ tags: string[] }>("resource", "1");
    first?.tags.push("mutated");
    expect(await cache.get("resource", "1")).toEqual({ tags: ["a"] });
  });

  it("getOrLoad loads once and then serves the cached value", async () => {
    cache = new TwoLayerCache();
    let loads = 0;
    const load = async () => ({ n: ++loads });
    expect(await cache.getOrLoad("quality", "r1@3", load)).toEqual({ n: 1 });
    expect(await cache.getOrLoad("quality", "r1@3", load)).toEqual({ n: 1 });
    expect(loads).toBe(1);
  });

  it("expires entries after their TTL", async () => {
    cache = new TwoLayerCache();
    await cache.set("search", "q", [1], { ttlSeconds: 0.05 });
    expect(await cache.get("search", "q")).toEqual([1]);
    await sleep(80);
    expect(await cache.get("search", "q")).toBeUndefined();
  });

  it("uses the per-type TTL table, with overrides", async () => {
    cache = new TwoLayerCache({ policies: { neighbors: { ttlSeconds: 0.05 } } });
    await cache.set("neighbors", "n", ["a"]);
    await cache.set("resource", "r", "kept");
    await sleep(80);
    expect(await cache.get("neighbors", "n")).toBeUndefined();
    expect(await cache.get("resource", "r")).toBe("kept");
  });

  it("invalidates by exact key, by tag and by pattern", async () => {
    cache = new TwoLayerCache();
    await cache.set("resource", "1", "r1", { tags: ["resource:1"] });
    await cache.set("resource", "2", "r2", { tags: ["resource:2"] });
    await cache.set("search", "q1", "s1", { tags: ["search"] });
    await cache.set("search", "q2", "s2", { tags: ["search"] });
    await cache.set("neighbors", "ab", "n1");
    await cache.set("neighbors", "cd", "n2");

    await cache.invalidate({ keys: [{ type: "resource", key: "1" }] });
    expect(await cache.get("resource", "1")).toBeUndefined();
    expect(await cache.get("resource", "2")).toBe("r2");

    await cache.invalidate({ tags: ["search"] });
    expect(await cache.get("search", "q1")).toBeUndefined();
    expect(await cache.get("search", "q2")).toBeUndefined();

    await cache.invalidate({ patterns: ["neighbors:a*"] });
    expect(await cache.get("neighbors", "ab")).toBeUndefined();
    expect(await cache.get("neighbors", "cd")).toBe("n2");

    await cache.invalidate({ patterns: ["resource:*"] });
    expect(await cache.get("resource", "2")).toBeUndefined();
    expect((await cache.stats()).invalidations).toBe(4);
  });

  it("does not keep a value loaded before an invalidation that happened during the load", async () => {
    cache = new TwoLayerCache();
    const gate = deferred<string>();
    const loading = deferred<void>();
    const load = () => {
      loading.resolve();
      return gate.promise;
    };
    const pending = cache.getOrLoad("resource", "1", load, { tags: ["resource:1"] });
    await loading.promise;
    await cache.invalidate({ tags: ["resource:1"] });
    gate.resolve("old");
    expect(await pending).toBe("old"); // that read started before the invalidation
    expect(await cache.getOrLoad("resource", "1", async () => "new")).toBe("new");
  });

  it("single-flight: concurrent getOrLoad of one key runs load once", async () => {
    cache = new TwoLayerCache();
    let loads = 0;
    const gate = deferred<void>();
    const load = async () => {
      loads++;
      await gate.promise;
      return { v: 1 };
    };
    const reads = Array.from({ length: 20 }, () => cache.getOrLoad("search", "q", load));
    gate.resolve();
    const values = await Promise.all(reads);
    expect(loads).toBe(1);
    expect(values.every((value) => JSON.stringify(value) === '{"v":1}')).toBe(true);
    // Each caller got its own copy.
    expect(new Set(values).size).toBe(20);
  });

  it("single-flight never hands a read that started after an invalidation the older flight's value", async () => {
    cache = new TwoLayerCache();
    const source = { value: "old" };
    const gate = deferred<void>();
    const loading = deferred<void>();
    const load = async () => {
      const seen = source.value;
      loading.resolve();
      await gate.promise;
      return seen;
    };
    const early = cache.getOrLoad("resource", "1", load);
    await loading.promise;
    source.value = "new";
    await cache.invalidate({ keys: [{ type: "resource", key: "1" }] });
    const late = cache.getOrLoad("resource", "1", load);
    gate.resolve();
    expect(await early).toBe("old");
    expect(await late).toBe("new");
  });

  it("propagates load failures and caches nothing", async () => {
    cache = new TwoLayerCache();
    await expect(cache.getOrLoad("resource", "x", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.get("resource", "x")).toBeUndefined();
  });

  it("bounds L1 by entry count", async () => {
    cache = new TwoLayerCache({ l1MaxEntries: 3 });
    for (let i = 0; i < 5; i++) await cache.set("resource", String(i), i);
    expect(await cache.get("resource", "0")).toBeUndefined();
    expect(await cache.get("resource", "4")).toBe(4);
  });

  it("bounds L1 by size", async () => {
    cache = new TwoLayerCache({ l1MaxBytes: 10_000 });
    await cache.set("embedding", "big", "x".repeat(20_000));
    expect(await cache.get("embedding", "big")).toBeUndefined();
  });

  it("warms entries that are not cached and skips those that are", async () => {
    cache = new TwoLayerCache();
    await cache.set("resource", "1", "cached");
    const report = await cache.warm([
      { type: "resource", key: "1", load: async () => "loaded" },
      { type: "resource", key: "2", load: async () => "loaded" },
      { type: "search", key: "q", load: async () => Promise.reject(new Error("down")) },
    ]);
    expect(report).toEqual({ loaded: 1, alreadyCached: 1, failed: 1 });
    expect(await cache.get("resource", "1")).toBe("cached");
    expect(await cache.get("resource", "2")).toBe("loaded");
  });

  it("cleanup purges expired L1 entries", async () => {
    cache = new TwoLayerCache();
    await cache.set("search", "q", 1, { ttlSeconds: 0.02 });
    await sleep(40);
    expect((await cache.cleanup()).l1Purged).toBe(1);
  });

  it("rejects invalid TTLs", async () => {
    cache = new TwoLayerCache();
    await expect(cache.set("search", "q", 1, { ttlSeconds: 0 })).rejects.toThrow(RangeError);
  });
});
