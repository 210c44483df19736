/** Redis settings of benchmark stacks: a private key prefix per stack, removed afterwards. */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** BENCH_REDIS_URL overrides; "none" runs without Redis (L1 only). */
export function benchRedisUrl(): string | undefined {
  const url = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379";
  return url === "none" ? undefined : url;
}

export function benchRedisPrefix(label: string): string {
  return `bench:${label}:${process.pid}:${randomBytes(3).toString("hex")}:`;
}

/** SCAN + UNLINK of every key under `prefix` (benchmark keys only). */
export async function removeRedisKeys(url: string | undefined, prefix: string): Promise<number> {
  if (!url) return 0;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 1_000 });
  redis.on("error", () => undefined);
  let removed = 0;
  try {
    await redis.connect();
    const stream = redis.scanStream({ match: `${prefix}*`, count: 500 });
    for await (const keys of stream as AsyncIterable<string[]>) {
      if (keys.length > 0) removed += await redis.unlink(...keys);
    }
  } catch {
    // Redis unreachable: nothing was written there either.
  } finally {
    redis.disconnect();
  }
  return removed;
}
