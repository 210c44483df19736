/**
 * SCAN-based deletion by glob pattern: the one place the cache walks the keyspace
 * (pattern invalidation reclaims memory with it; correctness never depends on it).
 * Never `KEYS`, which blocks the server for the whole keyspace.
 *
 * In cluster mode every master is scanned, and keys are unlinked one per command
 * (a multi-key UNLINK across slots is refused by cluster nodes).
 */
import { Cluster } from "ioredis";
import type { Redis } from "ioredis";
import { clientKeyPrefix } from "./redisClient";
import type { RedisClient } from "./redisClient";

const SCAN_BATCH = 500;

/**
 * Unlinks every key matching `match` (a Redis glob written WITHOUT the client's
 * own keyPrefix, which is added and removed here). Returns how many were unlinked.
 */
export async function unlinkMatching(client: RedisClient, match: string): Promise<number> {
  const targets: Redis[] = client instanceof Cluster ? client.nodes("master") : [client];
  let unlinked = 0;
  for (const node of targets) unlinked += await unlinkMatchingOnNode(node, match);
  return unlinked;
}

async function unlinkMatchingOnNode(node: Redis, match: string): Promise<number> {
  const prefix = clientKeyPrefix(node);
  const fullMatch = escapeGlob(prefix) + match;
  let cursor = "0";
  let unlinked = 0;
  do {
    const [next, keys] = await node.scan(cursor, "MATCH", fullMatch, "COUNT", SCAN_BATCH);
    cursor = next;
    if (keys.length > 0) {
      // SCAN returns full key names; ioredis would prefix them a second time.
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key.slice(prefix.length));
      await pipeline.exec();
      unlinked += keys.length;
    }
  } while (cursor !== "0");
  return unlinked;
}

/** Escapes glob metacharacters so `text` matches only itself in a Redis MATCH pattern. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}
