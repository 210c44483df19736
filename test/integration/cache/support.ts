/**
 * Shared set-up for cache integration tests: a unique namespace per test (so
 * parallel test files never collide on the shared Redis) and its cleanup.
 */
import { randomUUID } from "node:crypto";
import type { RedisClient } from "@shared/adapters/redis/redisClient";
import { unlinkMatching } from "@shared/adapters/redis/scanKeys";

export function uniqueNamespace(): string {
  return `test:${randomUUID().slice(0, 12)}:`;
}

/** Removes every key of a namespace (values and bookkeeping both start with it). */
export async function dropNamespace(redis: RedisClient, namespace: string): Promise<number> {
  return unlinkMatching(redis, `${namespace.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
