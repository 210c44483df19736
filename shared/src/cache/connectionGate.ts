/**
 * Decides, per operation, whether the cache may use Redis, and makes every
 * (re)connection safe before first use.
 *
 * Before the first command on each connection it reads the server identity and
 * draws a new epoch (discarding every entry everywhere) when Redis restarted or
 * failed over since the epoch was drawn (its data may be older than what clients
 * saw: the persisted-restart case), when the epoch is missing, or when this
 * process has lost an invalidation (it could not reach Redis to apply it).
 */
import { isRedisReady, onRedisConnectionLost, waitForRedisReady } from "../adapters/redis/redisClient";
import type { RedisClient } from "../adapters/redis/redisClient";
import { serverIdentity } from "../adapters/redis/serverIdentity";
import { newStamp } from "./freshness";
import type { GenerationStore } from "./generationStore";

export interface ConnectionGateOptions {
  /** How long the first operations wait for the initial connection. */
  firstConnectWaitMs: number;
  /** After a command fails on a live connection (a timeout), reads skip Redis this long. */
  pauseAfterFailureMs: number;
  onError: (error: unknown, operation: string) => void;
}

export class ConnectionGate {
  /** Bumped when a connection closes: a check made for an older connection does not count. */
  private connectionSerial = 0;
  private verification: Promise<boolean> | null = null;
  private firstConnection: Promise<boolean> | null = null;
  private pausedUntil = 0;
  /** Invalidations that could not reach Redis, and how many a drawn epoch already covers. */
  private lostInvalidations = 0;
  private lostInvalidationsCovered = 0;
  private closed = false;
  private readonly stopWatching: () => void;

  constructor(
    private readonly redis: RedisClient,
    private readonly generations: GenerationStore,
    private readonly options: ConnectionGateOptions,
  ) {
    this.stopWatching = onRedisConnectionLost(redis, () => {
      // The next connection may lead to a different (restarted) server.
      this.connectionSerial++;
      this.verification = null;
    });
  }

  /** The client if this operation may use it now, else null. Never waits for a reconnection. */
  async usable(options: { ignorePause?: boolean } = {}): Promise<RedisClient | null> {
    const redis = this.redis;
    if (this.closed) return null;
    if (!options.ignorePause && performance.now() < this.pausedUntil) return null;
    if (!isRedisReady(redis)) {
      // Only the very first connection is worth waiting for (cold start).
      this.firstConnection ??= waitForRedisReady(redis, this.options.firstConnectWaitMs);
      await this.firstConnection;
      if (!isRedisReady(redis)) return null;
    }
    const serial = this.connectionSerial;
    this.verification ??= this.verify(serial);
    const verified = await this.verification;
    // Commands issued in this same tick go to the connection just verified.
    if (!verified || serial !== this.connectionSerial || !isRedisReady(redis)) return null;
    return redis;
  }

  /** Like usable(), but waits up to `waitMs` for a reconnection (writes can afford it, reads cannot). */
  async usableWaiting(waitMs: number): Promise<RedisClient | null> {
    const redis = await this.usable({ ignorePause: true });
    if (redis || this.closed || isRedisReady(this.redis) || waitMs <= 0) return redis;
    if (!(await waitForRedisReady(this.redis, waitMs, { acrossRetries: true }))) return null;
    return this.usable({ ignorePause: true });
  }

  /** A command failed: if the connection still looks alive (a timeout), give reads a break. */
  commandFailed(): void {
    if (isRedisReady(this.redis)) this.pausedUntil = performance.now() + this.options.pauseAfterFailureMs;
  }

  /** An invalidation may not have reached Redis: draw a new epoch at the next check, which is forced now. */
  invalidationLost(): void {
    this.lostInvalidations++;
    this.verification = null;
  }

  /** The epoch vanished (flush, eviction): check again, which draws a new one. */
  recheck(): void {
    this.verification = null;
  }

  close(): void {
    this.closed = true;
    this.stopWatching();
  }

  private async verify(serial: number): Promise<boolean> {
    try {
      const identity = await serverIdentity(this.redis);
      const lostUpTo = this.lostInvalidations;
      const mustDrawEpoch = lostUpTo > this.lostInvalidationsCovered;
      await this.generations.ensureEpoch(identity, mustDrawEpoch, newStamp());
      if (mustDrawEpoch) this.lostInvalidationsCovered = Math.max(this.lostInvalidationsCovered, lostUpTo);
      return true;
    } catch (error) {
      this.options.onError(error, "verify");
      if (serial === this.connectionSerial) this.verification = null;
      return false;
    }
  }
}
