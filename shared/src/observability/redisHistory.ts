/**
 * The event history shared by every process (requirement 11.2): each process's
 * emitter appends to one Redis list, newest at the head, trimmed to the last
 * 1000 events. Writing is fire-and-forget and batched per tick (one LPUSH of
 * several events plus one LTRIM, pipelined), so emitting never waits for Redis.
 * While Redis is not connected the newest 1000 events wait in memory and are
 * sent on reconnection; failed writes are counted in `stats`, never thrown.
 * Readers sort by event time: emission order differs between processes.
 *
 * @example
 * const sink = installHistorySink(EventEmitter.shared(), redis, config);
 * const events = await readRedisHistory(redis, historyKey(config), { correlationId: "abc" });
 */
import type { AppConfig } from "../config";
import { HISTORY_LIMIT, type EmittedEvent, type EventEmitter, type HistorySink } from "../events/emitter";
import { createRedisClient, isRedisReady, type RedisClient } from "../adapters/redis/redisClient";
import { errorMessage } from "../errors";

export interface HistoryFilter {
  limit?: number;
  /** An event name, or a prefix ending in `*` (`task.*`). */
  type?: string;
  correlationId?: string;
}

export interface HistorySinkStats {
  appended: number;
  errors: number;
  /** Events given up because more than a whole history waited for Redis. */
  dropped: number;
  lastError: string | null;
}

/** The Redis list of one deployment, under the deployment's Redis key prefix (REDIS_PREFIX, like the cache). */
export function historyKey(config: Pick<AppConfig, "redisPrefix">): string {
  return `${config.redisPrefix}events`;
}

/** The process's own Redis client (shared with the cache), or undefined when Redis is not configured. */
export function processRedis(config: Pick<AppConfig, "redisUrl" | "redisCluster">): RedisClient | undefined {
  if (!config.redisUrl) return undefined;
  return createRedisClient({ url: config.redisUrl, cluster: config.redisCluster });
}

export class RedisHistorySink implements HistorySink {
  readonly stats: HistorySinkStats = { appended: 0, errors: 0, dropped: 0, lastError: null };
  #pending: string[] = [];
  #scheduled = false;
  #waiting = false;
  #inFlight = new Set<Promise<void>>();

  constructor(
    private readonly redis: RedisClient,
    readonly key: string,
    private readonly limit = HISTORY_LIMIT,
  ) {}

  append(event: EmittedEvent): void {
    this.#pending.push(JSON.stringify(event));
    // More than a whole history waiting means Redis is far behind: older entries would be trimmed anyway.
    if (this.#pending.length > this.limit) {
      this.stats.dropped += this.#pending.length - this.limit;
      this.#pending.splice(0, this.#pending.length - this.limit);
    }
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /**
   * Resolves once everything appended so far has been written or has failed,
   * waiting up to `waitForRedisMs` for a connection that is not ready yet.
   */
  async drain(waitForRedisMs = 1_000): Promise<void> {
    if (this.#pending.length > 0 && !isRedisReady(this.redis)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitForRedisMs);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.redis.once("ready", done);
      });
    }
    if (this.#pending.length > 0) this.#flush();
    await Promise.allSettled([...this.#inFlight]);
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    if (!isRedisReady(this.redis)) {
      // Connecting (a fresh process) or reconnecting: keep the newest events (bounded above) and send them once ready.
      if (!this.#waiting) {
        this.#waiting = true;
        this.redis.once("ready", () => {
          this.#waiting = false;
          this.#flush();
        });
      }
      return;
    }
    const batch = this.#pending;
    this.#pending = [];
    // LPUSH pushes its values one by one onto the head, so the last (newest) ends first.
    const write = this.redis
      .pipeline()
      .lpush(this.key, ...batch)
      .ltrim(this.key, 0, this.limit - 1)
      .exec()
      .then((replies) => {
        const failed = replies?.find(([error]) => error)?.[0];
        if (failed) throw failed;
        this.stats.appended += batch.length;
      })
      .catch((e: unknown) => {
        this.stats.errors++;
        this.stats.lastError = errorMessage(e);
      })
      .finally(() => this.#inFlight.delete(write));
    this.#inFlight.add(write);
  }
}

/** Newest first by event time, filtered; reads the whole (bounded) list once. */
export async function readRedisHistory(redis: RedisClient, key: string, filter: HistoryFilter = {}): Promise<EmittedEvent[]> {
  const raw = await redis.lrange(key, 0, HISTORY_LIMIT - 1);
  const events: EmittedEvent[] = [];
  for (const line of raw) {
    try {
      events.push(JSON.parse(line) as EmittedEvent);
    } catch {
      // a foreign or truncated entry is not worth failing the read
    }
  }
  return filterHistory(events, filter);
}

/**
 * Sorts newest first by event time (the list is in arrival order, which
 * differs between processes: an event reaches history after the bus accepted
 * it, by which time its consequences may have been recorded), then filters.
 */
export function filterHistory(events: readonly EmittedEvent[], filter: HistoryFilter = {}): EmittedEvent[] {
  const limit = Math.min(filter.limit ?? HISTORY_LIMIT, HISTORY_LIMIT);
  const matches = nameMatcher(filter.type);
  return events
    .filter((e) => typeof e?.name === "string" && matches(e.name) && (!filter.correlationId || e.correlationId === filter.correlationId))
    .sort((a, b) => (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0))
    .slice(0, limit);
}

export function nameMatcher(type: string | undefined): (name: string) => boolean {
  if (!type) return () => true;
  if (type.endsWith("*")) {
    const prefix = type.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === type;
}

/** Sends the emitter's history to Redis through `redis`; returns the sink (for its stats). */
export function installHistorySink(emitter: EventEmitter, redis: RedisClient, config: Pick<AppConfig, "redisPrefix">): RedisHistorySink {
  const sink = new RedisHistorySink(redis, historyKey(config));
  emitter.setHistorySink(sink);
  return sink;
}
