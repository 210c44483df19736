/**
 * Which Redis server process(es) a client is talking to.
 *
 * `run_id` is a random id Redis draws at every start, so a changed identity means
 * the server restarted or failed over: its data may be older than what clients
 * saw before (restored from disk, or a replica that missed writes). The cache
 * uses this to discard everything written before such an event.
 */
import { Cluster } from "ioredis";
import type { RedisClient } from "./redisClient";

/** The run_id (standalone) or the sorted run_ids of all masters (cluster); null if INFO is unavailable. */
export async function serverIdentity(client: RedisClient): Promise<string | null> {
  try {
    if (client instanceof Cluster) {
      const masters = client.nodes("master");
      if (masters.length === 0) return null;
      const ids = await Promise.all(masters.map(async (node) => runIdFromInfo(await node.info("server"))));
      if (ids.some((id) => id === null)) return null;
      return ids.sort().join(",");
    }
    return runIdFromInfo(await client.info("server"));
  } catch {
    return null;
  }
}

export function runIdFromInfo(info: string): string | null {
  const match = /^run_id:([0-9a-f]+)\s*$/m.exec(info);
  return match?.[1] ?? null;
}
