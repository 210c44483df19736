/**
 * A Lua script run with EVALSHA, falling back to EVAL when the server does not
 * know it yet (after a restart or on a new cluster node).
 *
 * In cluster mode every key a script touches must be passed in KEYS and all of
 * them must hash to the same slot (use one `{hash tag}`).
 */
import { createHash } from "node:crypto";
import type { RedisClient } from "./redisClient";

export class LuaScript {
  readonly sha1: string;

  constructor(readonly source: string) {
    this.sha1 = createHash("sha1").update(source).digest("hex");
  }

  async run(client: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha1, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return client.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
