/**
 * An in-process local stack (API + pollers + fauxqs) in a fresh data
 * directory, for the benchmarks that run in one process. Like a deployment it
 * uses Redis (cache L2, event history) when one is reachable, under a key
 * prefix of its own that is removed afterwards.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "@local/stack";
import { benchRedisPrefix, benchRedisUrl, removeRedisKeys } from "./redisKeys";

export interface BenchStack extends LocalStack {
  dataDir: string;
  redisPrefix: string;
  dispose(): Promise<void>;
}

let counter = 0;

export function tempDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `alexandria-bench-${label}-`));
}

export async function startBenchStack(label: string, options: LocalStackOptions = {}): Promise<BenchStack> {
  const dataDir = tempDir(label);
  counter++;
  const redisUrl = benchRedisUrl();
  const redisPrefix = benchRedisPrefix(label);
  const stack = await startLocalStack({
    sweepIntervalMs: 1_000,
    ...options,
    env: {
      DATA_DIR: dataDir,
      PORT: "0",
      LOG_LEVEL: "silent",
      QUEUE_PREFIX: `bench${process.pid}x${counter}`,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
      ...options.env,
    },
  });
  return Object.assign(stack, {
    dataDir,
    redisPrefix,
    async dispose() {
      await stack.stop();
      await removeRedisKeys(redisUrl, redisPrefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
