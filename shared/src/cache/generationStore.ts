/**
 * The invalidation bookkeeping in Redis: epoch, generation stamps, pattern
 * logs, and their cleanup. All keys share one hash tag (see CacheKeys), so every
 * multi-key command and script here is legal in cluster mode.
 */
import { LuaScript } from "../adapters/redis/luaScript";
import { clientKeyPrefix } from "../adapters/redis/redisClient";
import type { RedisClient } from "../adapters/redis/redisClient";
import { CacheTypes } from "../ports/cache";
import type { CacheType } from "../ports/cache";
import type { CacheKeys } from "./cacheKeys";
import { parsePatternLogMember } from "./freshness";
import type { Snapshot } from "./freshness";
import { globMatches } from "./glob";
import type { InvalidationPlan } from "./invalidationPlan";

/** More narrow pattern invalidations than this since an entry was stored: treat it as stale. */
const PATTERN_LOG_READ_LIMIT = 64;
const CLEANUP_BATCH = 500;

const REDIS_NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * KEYS[1] = generation index; then ARGV[2] indexed generation keys (keys, tags);
 * then ARGV[3] unindexed ones (types); then one (sequence, log) pair per pattern
 * in ARGV[4..]. ARGV[1] = the new stamp. Atomic, so a reader sees all or nothing.
 */
const applyInvalidationScript = new LuaScript(`${REDIS_NOW_MS}
local k = 2
for _ = 1, tonumber(ARGV[2]) do
  redis.call('SET', KEYS[k], ARGV[1])
  redis.call('ZADD', KEYS[1], now, KEYS[k])
  k = k + 1
end
for _ = 1, tonumber(ARGV[3]) do
  redis.call('SET', KEYS[k], ARGV[1])
  k = k + 1
end
for i = 4, #ARGV do
  local seq = redis.call('INCR', KEYS[k])
  redis.call('ZADD', KEYS[k + 1], seq, seq .. '|' .. now .. '|' .. ARGV[i])
  k = k + 2
end
return now
`);

/**
 * KEYS[1] = server identity, KEYS[2] = epoch; ARGV[1] = identity ('' = unknown),
 * ARGV[2] = new epoch stamp, ARGV[3] = '1' to draw a new epoch unconditionally.
 * Draws a new epoch when forced, when the server changed, or when there is none.
 */
const ensureEpochScript = new LuaScript(`
local known = redis.call('GET', KEYS[1])
local changed = ARGV[1] ~= '' and known ~= ARGV[1]
if ARGV[3] == '1' or changed or redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('SET', KEYS[2], ARGV[2])
  if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1]) end
  return 1
end
return 0
`);

/** KEYS[1] = generation index, KEYS[2..] = candidates; ARGV[1] = horizon ms. */
const dropIdleGenerationsScript = new LuaScript(`${REDIS_NOW_MS}
local cutoff = now - tonumber(ARGV[1])
local removed = 0
for i = 2, #KEYS do
  local score = redis.call('ZSCORE', KEYS[1], KEYS[i])
  if score and tonumber(score) <= cutoff then
    redis.call('UNLINK', KEYS[i])
    redis.call('ZREM', KEYS[1], KEYS[i])
    removed = removed + 1
  end
end
return removed
`);

/** KEYS[1] = a pattern log; ARGV[1] = horizon ms. */
const trimPatternLogScript = new LuaScript(`${REDIS_NOW_MS}
local cutoff = now - tonumber(ARGV[1])
local removed = 0
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local at = tonumber(string.match(member, '^%d+|(%d+)|'))
  if at and at <= cutoff then
    redis.call('ZREM', KEYS[1], member)
    removed = removed + 1
  end
end
return removed
`);

export class GenerationStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: CacheKeys,
  ) {}

  /** One MGET: the current stamps an entry with these tags depends on, and the pattern sequence. */
  async readSnapshot(type: CacheType, key: string, tags: readonly string[], tick: number): Promise<Snapshot> {
    const sentAtMs = performance.now();
    const values = await this.redis.mget(...this.keys.stampKeys(type, key, tags), this.keys.patternSequence(type));
    const sequence = Number(values.pop() ?? 0);
    return { stamps: values, sequence, tick, sentAtMs };
  }

  /** Did a narrow pattern logged after `sequence` match `id`? (Too many to check counts as yes.) */
  async patternInvalidatedSince(type: CacheType, sequence: number, id: string): Promise<boolean> {
    const members = await this.redis.zrangebyscore(this.keys.patternLog(type), `(${sequence}`, "+inf", "LIMIT", 0, PATTERN_LOG_READ_LIMIT + 1);
    if (members.length > PATTERN_LOG_READ_LIMIT) return true;
    return members.some((member) => {
      const parsed = parsePatternLogMember(member);
      return parsed === null || globMatches(parsed.pattern, id);
    });
  }

  /** Bumps every generation and logs every narrow pattern of the plan, atomically. */
  async apply(plan: InvalidationPlan, stamp: string): Promise<void> {
    const indexed = [
      ...plan.keys.map(({ type, key }) => this.keys.keyGeneration(type, key)),
      ...plan.tags.map((tag) => this.keys.tagGeneration(tag)),
    ];
    const plain = plan.wholeTypes.map((type) => this.keys.typeGeneration(type));
    const logKeys: string[] = [];
    const patterns: string[] = [];
    for (const { pattern, types } of plan.loggedPatterns) {
      for (const type of types) {
        logKeys.push(this.keys.patternSequence(type), this.keys.patternLog(type));
        patterns.push(pattern);
      }
    }
    if (indexed.length + plain.length + patterns.length === 0) return;
    await applyInvalidationScript.run(
      this.redis,
      [this.keys.generationIndex, ...indexed, ...plain, ...logKeys],
      [stamp, indexed.length, plain.length, ...patterns],
    );
  }

  /** Makes sure an epoch exists for this server; returns true when a new one was drawn. */
  async ensureEpoch(identity: string | null, force: boolean, stamp: string): Promise<boolean> {
    const drawn = await ensureEpochScript.run(this.redis, [this.keys.server, this.keys.epoch], [identity ?? "", stamp, force ? "1" : "0"]);
    return drawn === 1;
  }

  /**
   * Deletes generation keys not bumped for `horizonMs` and pattern log entries
   * older than that. Safe because no entry outlives MAX_TTL_SECONDS < horizon
   * after its snapshot (docs/caching.md, "cleanup").
   */
  async dropExpiredBookkeeping(horizonMs: number): Promise<{ generationsRemoved: number; patternLogEntriesRemoved: number }> {
    const prefix = clientKeyPrefix(this.redis);
    let generationsRemoved = 0;
    for (;;) {
      const [seconds, micros] = await this.redis.time();
      const cutoff = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) - horizonMs;
      const candidates = await this.redis.zrangebyscore(this.keys.generationIndex, "-inf", cutoff, "LIMIT", 0, CLEANUP_BATCH);
      if (candidates.length === 0) break;
      // Members are full key names; ioredis adds the client prefix to KEYS again.
      const keys = candidates.map((member) => member.slice(prefix.length));
      const removed = Number(await dropIdleGenerationsScript.run(this.redis, [this.keys.generationIndex, ...keys], [horizonMs]));
      generationsRemoved += removed;
      if (candidates.length < CLEANUP_BATCH || removed === 0) break;
    }
    let patternLogEntriesRemoved = 0;
    for (const type of CacheTypes) {
      patternLogEntriesRemoved += Number(await trimPatternLogScript.run(this.redis, [this.keys.patternLog(type)], [horizonMs]));
    }
    return { generationsRemoved, patternLogEntriesRemoved };
  }
}
