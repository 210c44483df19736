/**
 * L2 values in Redis: one string key per entry holding the entry's header
 * (tags, stamps, sequence) and its JSON, expiring with PX.
 */
import type { RedisClient } from "../adapters/redis/redisClient";
import type { CacheType } from "../ports/cache";
import type { CacheKeys } from "./cacheKeys";
import { decodeStored, encodeStored } from "./freshness";
import type { EntryMeta } from "./freshness";

export interface StoredValue {
  meta: EntryMeta;
  json: string;
  /** Remaining lifetime in Redis when read. */
  remainingMs: number;
}

export class L2Values {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: CacheKeys,
  ) {}

  /** GET and PTTL of one key in one round trip (one key, so one slot). */
  async read(type: CacheType, key: string): Promise<StoredValue | null> {
    const valueKey = this.keys.value(type, key);
    const replies = await this.redis.pipeline().get(valueKey).pttl(valueKey).exec();
    const failed = replies?.find(([error]) => error);
    if (failed?.[0]) throw failed[0];
    const raw = replies?.[0]?.[1];
    const remaining = replies?.[1]?.[1];
    if (typeof raw !== "string") return null;
    const decoded = decodeStored(raw);
    const remainingMs = Number(remaining);
    // PTTL -2: expired between the two commands; -1: no TTL, which this cache never writes.
    if (!decoded || remainingMs <= 0) return null;
    return { ...decoded, remainingMs };
  }

  async write(type: CacheType, key: string, meta: EntryMeta, json: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.value(type, key), encodeStored(meta, json), "PX", Math.max(1, Math.floor(ttlMs)));
  }

  /** Deletes exact values; separate commands because the keys live in different slots. */
  async unlink(entries: ReadonlyArray<{ type: CacheType; key: string }>): Promise<void> {
    await Promise.all(entries.map(({ type, key }) => this.redis.unlink(this.keys.value(type, key))));
  }
}
