/**
 * Degraded modes are visible locally: `/monitoring/degraded`, the Prometheus
 * gauge `alexandria_degraded` and (through the worker reports in Redis) the
 * counts of other processes. The degrade here is real: the stack's Redis is
 * a port that refuses every connection, so cache reads go without it.
 */
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { startWorkerReports, workersKey } from "@shared/observability/workerRegistry";
import { sharedRedisUrl } from "../helpers/sharedRedis";

const KEY = "degraded-test-key";
type Degraded = { source: string; total: Record<string, number>; processes: Array<{ processId: string; degraded: Record<string, number> }> };
const get = <T>(stack: TestStack, path: string) => api<T>(stack, "GET", path, undefined, { "x-api-key": KEY });

describe("with Redis unreachable", () => {
  let stack: TestStack;
  let refusing: Server;
  beforeAll(async () => {
    refusing = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", r));
    stack = await startTestStack({ env: { REDIS_URL: `redis://127.0.0.1:${(refusing.address() as AddressInfo).port}`, API_KEY: KEY } });
  });
  afterAll(async () => {
    await stack?.dispose();
    refusing?.close();
  });

  it("requests still succeed, and /monitoring/degraded and /metrics count redis-unavailable", async () => {
    const before = (await get<Degraded>(stack, "/monitoring/degraded")).body;
    expect(before.source).toBe("processes");
    expect(Object.keys(before.total).sort()).toEqual(["coarse-search-invalidation", "embedder-throttled", "redis-unavailable"]);
    const search = await api<{ results: unknown[] }>(stack, "GET", "/search?q=anything&mode=keyword", undefined, { "x-api-key": KEY });
    expect(search.status).toBe(200);
    const after = (await get<Degraded>(stack, "/monitoring/degraded")).body;
    expect(after.total["redis-unavailable"]).toBeGreaterThan(before.total["redis-unavailable"] ?? 0);
    const metrics = await (await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).text();
    const line = /^alexandria_degraded\{mode="redis-unavailable"\} (\d+)$/m.exec(metrics);
    expect(Number(line?.[1])).toBeGreaterThanOrEqual(after.total["redis-unavailable"] ?? 1);
  });
});

describe("with workers reporting through Redis", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { REDIS_URL: sharedRedisUrl(), REDIS_PREFIX: `deg${process.pid}${randomUUID().slice(0, 6)}:`, API_KEY: KEY } });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it("sums the counts of every process", async () => {
    const redis = new Redis(sharedRedisUrl());
    const stop = startWorkerReports(redis, workersKey(stack.config), "worker-host:77:y", () => []);
    try {
      const answer = await waitFor(async () => {
        const body = (await get<Degraded>(stack, "/monitoring/degraded")).body;
        return body.processes.some((p) => p.processId === "worker-host:77:y") ? body : undefined;
      });
      expect(answer.processes.length).toBe(2);
      for (const mode of Object.keys(answer.total)) {
        expect(answer.total[mode]).toBe(answer.processes.reduce((n, p) => n + (p.degraded[mode] ?? 0), 0));
      }
    } finally {
      await stop();
      redis.disconnect();
    }
  });
});
