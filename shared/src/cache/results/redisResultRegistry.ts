/**
 * The result registry in Redis: one hash per cache namespace, field = cache
 * key, value = a record (records.ts). Shared by every process, like L2.
 *
 * The hash has no TTL, so `volatile-*` eviction policies (ElastiCache's
 * default) never evict it; records expire by age and are dropped by the
 * writers that read them.
 */
import { randomBytes } from "node:crypto";
import { LuaScript } from "../../adapters/redis/luaScript";
import { isRedisReady } from "../../adapters/redis/redisClient";
import type { RedisClient } from "../../adapters/redis/redisClient";
import type { Affected, ResourceChange, ResultRegistry, ResultDependency } from "../../ports/resultRegistry";
import { MAX_RECORDS, affects, isExpired, parseRecord, pendingPrefix, pendingRecord, recordedRecord } from "./records";


/** KEYS[1] = hash; ARGV = field, reservation prefix, record, cap. Records only over its own reservation. */
const recordScript = new LuaScript(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current or string.sub(current, 1, string.len(ARGV[2])) ~= ARGV[2] then return 0 end
if redis.call('HLEN', KEYS[1]) > tonumber(ARGV[4]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`);

/** KEYS[1] = hash; ARGV = (field, value) pairs. Deletes a field only if it still holds the value read. */
const dropScript = new LuaScript(`
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
return removed
`);

export class RedisResultRegistry implements ResultRegistry {
  constructor(
    private readonly redis: RedisClient,
    /** The hash's key, e.g. `<cache namespace>results:search`. */
    private readonly key: string,
    /** How long a record is kept: longer than any entry it describes can live. */
    private readonly lifetimeMs: number,
  ) {}

  async reserve(key: string): Promise<string> {
    // Fail fast while disconnected (the caller then does not cache), instead of queueing.
    if (!isRedisReady(this.redis)) throw new Error("Redis is not connected");
    const token = randomBytes(9).toString("base64url");
    await this.redis.hset(this.key, key, pendingRecord(token, Date.now()));
    return token;
  }

  async record(key: string, token: string, dependency: ResultDependency): Promise<void> {
    await recordScript.run(this.redis, [this.key], [key, pendingPrefix(token), recordedRecord(token, Date.now(), dependency), MAX_RECORDS]);
  }

  async affectedBy(change: ResourceChange): Promise<Affected[]> {
    const all = await this.redis.hgetall(this.key);
    const now = Date.now();
    const affected: Affected[] = [];
    const expired: string[] = [];
    for (const [field, raw] of Object.entries(all)) {
      const record = parseRecord(raw);
      const verdict = affects(record, change);
      if (verdict === true) affected.push({ key: field });
      else if (verdict !== false) affected.push({ key: field, unlessShownAs: verdict });
      if (isExpired(record, now, this.lifetimeMs)) expired.push(field, raw);
    }
    if (expired.length > 0) await dropScript.run(this.redis, [this.key], expired);
    return affected;
  }
}
