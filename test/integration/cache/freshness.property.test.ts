/**
 * Property: across two processes (two caches, two Redis connections), reads,
 * updates and invalidations interleave at random (sequential rounds of
 * concurrent operations), and no read that started
 * after an update completed (source written, then invalidate() resolved)
 * returns an older version.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeRedisClient, newRedisClient } from "@shared/adapters/redis/redisClient";
import type { RedisClient } from "@shared/adapters/redis/redisClient";
import { TwoLayerCache } from "@shared/cache";
import type { InvalidationRequest } from "@shared/ports/cache";
import { dropNamespace, sleep, uniqueNamespace } from "./support";
import { sharedRedisUrl } from "../../helpers/sharedRedis";

type How = "key" | "tag" | "pattern" | "typeWide" | "literalPattern";
type Op =
  | { kind: "read"; cache: number; key: string; via: "getOrLoad" | "get"; delay: number; loadDelay: number }
  | { kind: "update" | "invalidate"; cache: number; key: string; how: How; delay: number };

const keyArb = fc.constantFrom("k1", "k10");
const cacheArb = fc.integer({ min: 0, max: 1 });
const delayArb = fc.integer({ min: 0, max: 8 });
const howArb = fc.constantFrom<How>("key", "tag", "pattern", "typeWide", "literalPattern");
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("read" as const), cache: cacheArb, key: keyArb, via: fc.constantFrom("getOrLoad" as const, "get" as const), delay: delayArb, loadDelay: fc.integer({ min: 0, max: 12 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("update" as const), cache: cacheArb, key: keyArb, how: howArb, delay: delayArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("invalidate" as const), cache: cacheArb, key: keyArb, how: howArb, delay: delayArb }) },
);

function invalidationFor(how: How, key: string): InvalidationRequest {
  switch (how) {
    case "key":
      return { keys: [{ type: "resource", key }] };
    case "tag":
      return { tags: [`item:${key}`] };
    case "pattern":
      return { patterns: [`resource:${key}*`] };
    case "typeWide":
      return { patterns: ["resource:*"] };
    case "literalPattern":
      return { patterns: [`resource:${key}`] };
  }
}

describe("freshness across processes (property)", () => {
  let clients: RedisClient[];

  beforeAll(() => {
    clients = [newRedisClient({ url: sharedRedisUrl() }), newRedisClient({ url: sharedRedisUrl() })];
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => closeRedisClient(client)));
  });

  it("no read started after a completed update returns the old value", async () => {
    await fc.assert(
      // Rounds run one after another (causal chains: read, update, read); the
      // operations of a round run concurrently, each after its own small delay.
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 12 }), async (rounds) => {
        const namespace = uniqueNamespace();
        const caches = clients.map((redis) => new TwoLayerCache({ redis, namespace, statsFlushIntervalMs: 0 }));
        const source = new Map<string, number>();
        const committed = new Map<string, number>();
        const violations: string[] = [];

        const run = async (op: Op) => {
          await sleep(op.delay);
          const cache = caches[op.cache] as TwoLayerCache;
          if (op.kind === "read") {
            const floor = committed.get(op.key) ?? 0;
            const load = async () => {
              const version = source.get(op.key) ?? 0;
              await sleep(op.loadDelay);
              return { key: op.key, version };
            };
            const value =
              op.via === "getOrLoad"
                ? await cache.getOrLoad("resource", op.key, load, { tags: [`item:${op.key}`] })
                : await cache.get<{ key: string; version: number }>("resource", op.key);
            if (value && value.version < floor) violations.push(`${op.via} ${op.key} on cache ${op.cache}: got v${value.version}, committed v${floor}`);
            return;
          }
          let version = 0;
          if (op.kind === "update") {
            version = (source.get(op.key) ?? 0) + 1;
            source.set(op.key, version);
          }
          await cache.invalidate(invalidationFor(op.how, op.key));
          if (op.kind === "update") committed.set(op.key, Math.max(committed.get(op.key) ?? 0, version));
        };

        try {
          for (const round of rounds) await Promise.all(round.map(run));
        } finally {
          await Promise.all(caches.map((cache) => cache.close()));
          await dropNamespace(clients[0] as RedisClient, namespace);
        }
        expect(violations).toEqual([]);
      }),
      { numRuns: 100 },
    );
  }, 120_000);
});
