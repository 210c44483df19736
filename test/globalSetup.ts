/**
 * Brings up what the test run needs (vitest globalSetup): the Debian packages
 * the chosen test files use, installed with apt-get when missing (as root; a
 * one-line message naming the command otherwise), and the shared Redis the
 * tests read through test/helpers/sharedRedis.ts — REDIS_URL when set, else
 * the Redis answering on 127.0.0.1:6379 (TEST_REDIS_PROBE moves the probe),
 * else a redis-server of the run's own on a free port, stopped afterwards.
 */
import type { TestProject } from "vitest/node";
import { ensureDebianPackages, needsOf, resolveSharedRedis } from "./helpers/testMachine";

declare module "vitest" {
  export interface ProvidedContext {
    sharedRedisUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The files of this run are known before global setup (vitest's state API); none known means the whole suite.
  try {
    ensureDebianPackages(needsOf(project.vitest.state.getPaths()));
  } catch (error) {
    // One line that says what to run, not a stack trace; nothing has been started yet.
    console.error(`test setup: ${(error as Error).message}`);
    process.exit(1);
  }
  const redis = await resolveSharedRedis();
  if (redis.source === "own") console.error(`test setup: no Redis configured or answering; started redis-server at ${redis.url} for this run`);
  project.provide("sharedRedisUrl", redis.url);
  return () => redis.stop();
}
