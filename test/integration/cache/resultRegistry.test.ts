/**
 * The search-result registry, in Redis (shared by processes) and in memory
 * (L1-only processes): the same contract, checked against both.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient, newRedisClient } from "@shared/adapters/redis/redisClient";
import type { RedisClient } from "@shared/adapters/redis/redisClient";
import { MemoryResultRegistry } from "@shared/cache/results/memoryResultRegistry";
import { RedisResultRegistry } from "@shared/cache/results/redisResultRegistry";
import type { ResultDependency, ResultRegistry } from "@shared/ports/resultRegistry";
import { waitUntil } from "../../helpers/redisServer";
import { dropNamespace, sleep, uniqueNamespace } from "./support";
import { sharedRedisUrl } from "../../helpers/sharedRedis";

const LIFETIME_MS = 300;
const keyword = (...ids: string[]): ResultDependency => ({ shown: ids.map((id) => ({ id, via: "keyword" as const, digest: `d-${id}` })) });
const vectorResult: ResultDependency = {
  shown: [{ id: "a", via: "vector", digest: "d-a" }],
  vector: { query: [1, 0], candidates: [{ id: "a", score: 0.9 }, { id: "b", score: 0.5 }], wanted: 2 },
};
const keys = (affected: Array<{ key: string }>) => affected.map((a) => a.key).sort();

let redis: RedisClient;
let other: RedisClient;
const namespace = uniqueNamespace();
beforeAll(async () => {
  redis = newRedisClient({ url: sharedRedisUrl() });
  other = newRedisClient({ url: sharedRedisUrl() });
  await waitUntil(() => redis.status === "ready" && other.status === "ready", 5_000, "redis ready");
});
afterAll(async () => {
  await dropNamespace(redis, namespace);
  await closeRedisClient(redis);
  await closeRedisClient(other);
});

let n = 0;
const implementations: Array<[string, () => [ResultRegistry, ResultRegistry]]> = [
  [
    "redis (two clients, as two processes)",
    () => {
      const hash = `${namespace}results:${n++}`;
      return [new RedisResultRegistry(redis, hash, LIFETIME_MS), new RedisResultRegistry(other, hash, LIFETIME_MS)];
    },
  ],
  [
    "memory",
    () => {
      const one = new MemoryResultRegistry(LIFETIME_MS);
      return [one, one];
    },
  ],
];

describe.each(implementations)("result registry: %s", (_name, make) => {
  it("reports a reservation as affected by any change until it is recorded", async () => {
    const [reader, writer] = make();
    const token = await reader.reserve("k1");
    expect(keys(await writer.affectedBy({ resourceId: "unrelated" }))).toEqual(["k1"]);
    expect(keys(await writer.affectedBy({ resourceId: "unrelated", vectors: [[0, 1]] }))).toEqual(["k1"]);
    await reader.record("k1", token, keyword("a"));
    expect(await writer.affectedBy({ resourceId: "unrelated" })).toEqual([]);
    expect(await writer.affectedBy({ resourceId: "a" })).toEqual([{ key: "k1", unlessShownAs: { id: "a", via: "keyword", digest: "d-a" } }]);
  });

  it("separates text and vector changes", async () => {
    const [reader, writer] = make();
    await reader.record("kw", await reader.reserve("kw"), keyword("a"));
    await reader.record("vec", await reader.reserve("vec"), vectorResult);
    expect(keys(await writer.affectedBy({ resourceId: "a" }))).toEqual(["kw", "vec"]);
    expect(keys(await writer.affectedBy({ resourceId: "a", vectors: [[1, 0]] }))).toEqual(["vec"]); // listed, its score is shown
    expect(keys(await writer.affectedBy({ resourceId: "z", vectors: [[1, 0.1]] }))).toEqual(["vec"]); // would enter
    expect(keys(await writer.affectedBy({ resourceId: "z", vectors: [[0, 1]] }))).toEqual([]);
  });

  it("keeps the newer reservation when an older load records late", async () => {
    const [reader, writer] = make();
    const first = await reader.reserve("k");
    const second = await reader.reserve("k");
    await reader.record("k", first, keyword("a")); // too late: must not replace the newer reservation
    expect(keys(await writer.affectedBy({ resourceId: "unrelated" }))).toEqual(["k"]);
    await reader.record("k", second, keyword("a"));
    expect(await writer.affectedBy({ resourceId: "unrelated" })).toEqual([]);
  });

  it("forgets records after their lifetime, but not a reservation made since", async () => {
    const [reader, writer] = make();
    await reader.record("old", await reader.reserve("old"), keyword("a"));
    await sleep(LIFETIME_MS + 50);
    expect(keys(await writer.affectedBy({ resourceId: "a" }))).toEqual(["old"]); // still reported once, then dropped
    expect(await writer.affectedBy({ resourceId: "a" })).toEqual([]);
    await reader.reserve("old");
    expect(keys(await writer.affectedBy({ resourceId: "x" }))).toEqual(["old"]);
  });
});

describe("redis result registry", () => {
  it("refuses to reserve while disconnected, so the caller does not cache", async () => {
    const offline = newRedisClient({ url: "redis://127.0.0.1:1", onError: () => undefined });
    const registry = new RedisResultRegistry(offline, `${namespace}offline`, LIFETIME_MS);
    await expect(registry.reserve("k")).rejects.toThrow(/not connected/);
    await closeRedisClient(offline);
  });

  it("drops unreadable records after reporting them", async () => {
    const hash = `${namespace}junk`;
    await redis.hset(hash, "junk", "not a record");
    const registry = new RedisResultRegistry(redis, hash, LIFETIME_MS);
    expect(keys(await registry.affectedBy({ resourceId: "x" }))).toEqual(["junk"]);
    expect(await redis.hexists(hash, "junk")).toBe(0);
  });
});
