/**
 * One ioredis client per process, tuned so Redis can never make a request hang
 * or crash the process.
 *
 * - Fail fast: no offline queue (a command sent while disconnected is rejected at
 *   once), a connect timeout and a command timeout, and no retry of in-flight
 *   commands (`maxRetriesPerRequest: 0`, `autoResendUnfulfilledCommands: false`).
 *   Not resending also matters for correctness: a read sent before a Redis
 *   restart must never be answered by the restarted server before the cache has
 *   checked which server it is talking to.
 * - Reconnect forever with capped, jittered exponential backoff.
 * - An 'error' listener is always attached, so a connection error is reported,
 *   never thrown as an unhandled 'error' event.
 * - ElastiCache Serverless needs TLS and cluster mode; `rediss://` implies TLS.
 *
 * @example
 * const redis = createRedisClient({ url: process.env.REDIS_URL! });
 * if (isRedisReady(redis)) await redis.ping();
 */
import { Cluster, Redis } from "ioredis";
import type { ClusterOptions, RedisOptions } from "ioredis";

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  url: string;
  /** Cluster mode (ElastiCache Serverless, cluster-mode-enabled replication groups). */
  cluster?: boolean;
  /** Force TLS; `rediss://` URLs use TLS anyway. */
  tls?: boolean;
  /** Prefix ioredis prepends to every key (not applied to SCAN MATCH patterns). */
  keyPrefix?: string;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Called for connection errors; defaults to one console line per 30 s per client. */
  onError?: (error: Error) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 1_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** Kept short: a process that reconnects late cannot invalidate (see docs/caching.md). */
export const MAX_RECONNECT_DELAY_MS = 1_000;

const sharedClients = new Map<string, RedisClient>();

/**
 * The process-wide client for these options: created on first call, reused after.
 * Lambda containers and the local runtime call this on every request.
 */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const memoKey = JSON.stringify([options.url, options.cluster ?? false, options.tls ?? false, options.keyPrefix ?? ""]);
  let client = sharedClients.get(memoKey);
  if (!client) {
    client = newRedisClient(options);
    sharedClients.set(memoKey, client);
    // A client closed by its user must not be handed out again.
    client.once("end", () => {
      if (sharedClients.get(memoKey) === client) sharedClients.delete(memoKey);
    });
  }
  return client;
}

/** A fresh, unshared client (tests use one per simulated process). */
export function newRedisClient(options: RedisClientOptions): RedisClient {
  const url = new URL(options.url);
  const useTls = options.tls === true || url.protocol === "rediss:";
  const client = options.cluster ? newClusterClient(url, options, useTls) : newStandaloneClient(options, useTls);
  client.on("error", options.onError ?? rateLimitedConsoleError(url.host));
  return client;
}

/** Backoff for reconnection: 50 ms doubling to 1 s, with jitter so containers do not reconnect in lockstep. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(50 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY_MS);
  return Math.round(base * (0.75 + Math.random() * 0.25));
}

function newStandaloneClient(options: RedisClientOptions, useTls: boolean): Redis {
  const redisOptions: RedisOptions = {
    ...commonOptions(options),
    enableOfflineQueue: false,
    retryStrategy: reconnectDelayMs,
    ...(useTls ? { tls: {} } : {}),
  };
  return new Redis(options.url, redisOptions);
}

function newClusterClient(url: URL, options: RedisClientOptions, useTls: boolean): Cluster {
  const clusterOptions: ClusterOptions = {
    enableOfflineQueue: false,
    clusterRetryStrategy: reconnectDelayMs,
    // ElastiCache hands out node addresses whose TLS certificates are issued
    // for the configuration endpoint name: keep the name, skip DNS resolution.
    dnsLookup: (address, callback) => callback(null, address),
    slotsRefreshTimeout: DEFAULT_CONNECT_TIMEOUT_MS,
    redisOptions: {
      ...commonOptions(options),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(useTls ? { tls: {} } : {}),
    },
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  };
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], clusterOptions);
}

function commonOptions(options: RedisClientOptions) {
  return {
    connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    commandTimeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    ...(options.keyPrefix ? { keyPrefix: options.keyPrefix } : {}),
  };
}

function rateLimitedConsoleError(host: string): (error: Error) => void {
  let lastReportAt = -Infinity;
  return (error) => {
    const now = Date.now();
    if (now - lastReportAt < 30_000) return;
    lastReportAt = now;
    console.error(`[redis ${host}] ${error.message}`);
  };
}

/** True when commands can be sent right now (fail-fast clients reject them otherwise). */
export function isRedisReady(client: RedisClient): boolean {
  return client.status === "ready";
}

/**
 * Resolves true once the client is ready, false on timeout, when the client was
 * closed, or (unless `acrossRetries`) when the attempt in progress fails: a
 * cold start with Redis down then waits for one attempt, never for the whole
 * backoff schedule.
 */
export function waitForRedisReady(client: RedisClient, timeoutMs: number, options: { acrossRetries?: boolean } = {}): Promise<boolean> {
  if (isRedisReady(client)) return Promise.resolve(true);
  if (client.status === "end") return Promise.resolve(false);
  const attemptInProgress = client.status === "connecting" || client.status === "connect";
  if (!attemptInProgress && !options.acrossRetries) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (ready: boolean) => {
      clearTimeout(timer);
      client.off("ready", onReady);
      client.off("reconnecting", onAttemptFailed);
      client.off("end", onClosed);
      resolve(ready);
    };
    const onReady = () => finish(true);
    const onClosed = () => finish(false);
    const onAttemptFailed = () => {
      if (!options.acrossRetries) finish(false);
    };
    const timer = setTimeout(onClosed, timeoutMs);
    client.on("ready", onReady);
    client.on("reconnecting", onAttemptFailed);
    client.on("end", onClosed);
  });
}

/**
 * Calls `listener` whenever a connection of this client closes (for a cluster:
 * the cluster or any of its node connections). Returns an unsubscribe function.
 */
export function onRedisConnectionLost(client: RedisClient, listener: () => void): () => void {
  if (client instanceof Cluster) {
    const watched = new Set<Redis>();
    const watchNode = (node: Redis) => {
      if (watched.has(node)) return;
      watched.add(node);
      node.on("close", listener);
    };
    const onAdded = (node: Redis) => watchNode(node);
    const onRemoved = () => listener();
    client.nodes().forEach(watchNode);
    client.on("+node", onAdded);
    client.on("-node", onRemoved);
    client.on("close", listener);
    return () => {
      client.off("+node", onAdded);
      client.off("-node", onRemoved);
      client.off("close", listener);
      for (const node of watched) node.off("close", listener);
    };
  }
  client.on("close", listener);
  return () => {
    client.off("close", listener);
  };
}

/** The prefix ioredis adds to keys for this client ("" when none). */
export function clientKeyPrefix(client: Pick<Redis, "options"> | Pick<Cluster, "options">): string {
  const prefix = client.options.keyPrefix;
  return typeof prefix === "string" ? prefix : "";
}

/** Closes every shared client (process shutdown, test teardown). */
export async function closeRedisClients(): Promise<void> {
  const clients = [...sharedClients.values()];
  sharedClients.clear();
  await Promise.all(clients.map((client) => closeRedisClient(client)));
}

/** QUIT when connected (lets pending replies arrive), otherwise just disconnect. */
export async function closeRedisClient(client: RedisClient): Promise<void> {
  if (client.status === "end") return;
  if (isRedisReady(client)) {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection died while quitting
    }
  }
  client.disconnect();
}
