/**
 * The event history in Redis (requirement 11.2), against a real Redis: the
 * last 1000 events of every process, newest first, filtered by type and
 * correlation id; nothing lost while a fresh client connects; a Redis outage
 * neither throws nor blocks the emitter, and what waited is written once
 * Redis is back.
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { EventEmitter, type EmittedEvent } from "@shared/events/emitter";
import { installHistorySink, historyKey, readRedisHistory, RedisHistorySink } from "@shared/observability/redisHistory";
import { newRedisClient, closeRedisClient } from "@shared/adapters/redis/redisClient";
import { startRedisServer, waitUntil } from "../helpers/redisServer";
import { readWorkerReports, startWorkerReports } from "@shared/observability/workerRegistry";
import { sharedRedisUrl } from "../helpers/sharedRedis";

const REDIS_URL = sharedRedisUrl();
const admin = new Redis(REDIS_URL);
const keys: string[] = [];
const newKey = () => {
  const k = `na:test:history:${randomUUID()}`;
  keys.push(k);
  return k;
};
const quietLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

afterAll(async () => {
  if (keys.length) await admin.del(...keys);
  admin.disconnect();
});

function event(i: number, over: Partial<EmittedEvent> = {}): EmittedEvent {
  return { eventId: `e${i}`, name: i % 2 ? "task.completed" : "resource.updated", payload: { i }, priority: 5, correlationId: `c${i % 3}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, 0, i)).toISOString(), ...over };
}

describe("RedisHistorySink", () => {
  it("keeps the last 1000 events, newest first, and filters them", async () => {
    const key = newKey();
    const sink = new RedisHistorySink(admin, key);
    for (let i = 0; i < 1005; i++) sink.append(event(i));
    await sink.drain();
    expect(await admin.llen(key)).toBe(1000);
    const all = await readRedisHistory(admin, key);
    expect(all.length).toBe(1000);
    expect(all[0]!.eventId).toBe("e1004");
    expect(all.at(-1)!.eventId).toBe("e5");
    // All 1005 were appended in one tick: the 5 oldest could never survive the trim, so they are not sent.
    expect(sink.stats).toMatchObject({ appended: 1000, dropped: 5, errors: 0 });

    const tasks = await readRedisHistory(admin, key, { type: "task.*", limit: 3 });
    expect(tasks.map((e) => e.eventId)).toEqual(["e1003", "e1001", "e999"]);
    const exact = await readRedisHistory(admin, key, { type: "resource.updated", correlationId: "c1", limit: 2 });
    expect(exact.map((e) => e.eventId)).toEqual(["e1000", "e994"]);
  });

  it("orders by event time, not by arrival, so processes that report late still sort right", async () => {
    const key = newKey();
    const sink = new RedisHistorySink(admin, key);
    sink.append(event(2));
    sink.append(event(1)); // arrives second, happened first
    sink.append(event(3));
    await sink.drain();
    expect((await readRedisHistory(admin, key)).map((e) => e.eventId)).toEqual(["e3", "e2", "e1"]);
  });

  it("receives an emitter's events, including those emitted before the fresh client connected", async () => {
    const key = newKey();
    const emitter = new EventEmitter<Record<string, unknown>>(quietLog);
    const client = newRedisClient({ url: REDIS_URL });
    try {
      expect(client.status).not.toBe("ready");
      const sink = installHistorySink(emitter, client, { redisPrefix: "na:test:unused:" });
      // Same sink class, our own key: the installer's key is per deployment.
      const ours = new RedisHistorySink(client, key);
      emitter.setHistorySink(ours);
      await emitter.emit("resource.created", { resourceId: "r1", revision: 0 }, { correlationId: "early" });
      await waitUntil(() => client.status === "ready", 5_000, "redis ready");
      await emitter.emit("ingestion.completed", { resourceId: "r1" }, { correlationId: "early" });
      await waitUntil(() => ours.stats.appended === 2, 5_000, "both appended");
      expect((await readRedisHistory(admin, key, { correlationId: "early" })).map((e) => e.name)).toEqual(["ingestion.completed", "resource.created"]);
      expect(historyKey({ redisPrefix: "p:" })).toBe("p:events");
      expect(sink.key).toBe("na:test:unused:events");
    } finally {
      await closeRedisClient(client);
    }
  });

  it("survives a Redis outage without throwing, and writes what waited once Redis is back", async () => {
    // Persistent, so what was written before the crash is still there after the restart.
    const server = await startRedisServer({ persistent: true });
    const client = newRedisClient({ url: server.url, onError: () => undefined });
    const reader = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    const key = newKey();
    try {
      await waitUntil(() => client.status === "ready", 5_000, "redis ready");
      const emitter = new EventEmitter<Record<string, unknown>>(quietLog);
      const ours = new RedisHistorySink(client, key);
      emitter.setHistorySink(ours);
      await emitter.emit("resource.created", { n: 1 });
      await ours.drain();

      await server.kill();
      await waitUntil(() => client.status !== "ready", 5_000, "client notices the outage");
      const t0 = performance.now();
      for (let i = 0; i < 50; i++) await emitter.emit("resource.updated", { i });
      expect(performance.now() - t0).toBeLessThan(500);
      expect(ours.stats.appended).toBe(1);

      await server.restart();
      await waitUntil(() => ours.stats.appended === 51, 15_000, "buffered events written after reconnect");
      await reader.connect();
      expect(await reader.llen(key)).toBe(51);
    } finally {
      reader.disconnect();
      await closeRedisClient(client);
      await server.dispose();
    }
  });
});

describe("worker reports", () => {
  it("shows each worker process's pollers while it reports, and forgets it when it stops", async () => {
    const key = newKey();
    const pollers = [{ queue: "q", task: "ingestion", alive: true, concurrency: 2, activeBatches: 0, activeMessages: 0, processed: 5, failed: 1, batches: 3, lastHeartbeat: new Date().toISOString() }];
    const stop = startWorkerReports(admin, key, "host:1:a", () => pollers);
    const reports = await waitUntilReports(key, 1);
    expect(reports[0]).toMatchObject({ processId: "host:1:a", pid: process.pid, pollers: [{ task: "ingestion", processed: 5 }] });
    await stop();
    expect(await readWorkerReports(admin, key)).toEqual([]);

    // A report nobody refreshed for a while is a dead worker.
    await admin.hset(key, "host:2:b", JSON.stringify({ processId: "host:2:b", host: "host", pid: 2, reportedAt: new Date(Date.now() - 60_000).toISOString(), pollers: [] }));
    expect(await readWorkerReports(admin, key)).toEqual([]);
    expect(await admin.hlen(key)).toBe(0);
  });
});

async function waitUntilReports(key: string, n: number) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const r = await readWorkerReports(admin, key);
    if (r.length >= n || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 50));
  }
}
