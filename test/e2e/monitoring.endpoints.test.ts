/**
 * Every monitoring endpoint answers on a running stack, and its figures move
 * when work happens (issue 6, "done means"). Real libSQL, real fauxqs, real
 * pollers, real Redis (the run's shared one, a key prefix per run).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { monitoringRoutes } from "@functions/http/routes/monitoring";
import { instantTimings } from "@shared/events/routing";
import { historyKey, RedisHistorySink } from "@shared/observability/redisHistory";
import { accessOf } from "@shared/security/routePolicy";
import { startWorkerReports, workersKey } from "@shared/observability/workerRegistry";
import { sharedRedisUrl } from "../helpers/sharedRedis";
import { untilCurrent } from "../helpers/resourceStatus";

const KEY = "monitoring-test-key";
const REDIS_URL = sharedRedisUrl();
const prefix = () => `mon${process.pid}${randomUUID().slice(0, 6)}`;

interface EventItem {
  eventId: string;
  name: string;
  timestamp: string;
  priority: number;
  correlationId: string;
  payload: Record<string, unknown>;
}
interface TaskRow {
  id: number;
  task: string;
  resourceId: string | null;
  status: string;
  correlationId: string | null;
  attempt: number;
}
interface QueueItem {
  task: string;
  visible: number;
  inFlight: number;
  delayed: number;
  dlqDepth: number;
  oldestMessageAgeSeconds: number | null;
  oldestMessageAgeSource: string;
}

function get<T>(stack: TestStack, path: string) {
  return api<T>(stack, "GET", path, undefined, stack.config.apiKey ? { "x-api-key": stack.config.apiKey } : {});
}

async function post(stack: TestStack, text: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content: text, contentType: "text/plain" }, { ...(stack.config.apiKey ? { "x-api-key": stack.config.apiKey } : {}), ...headers });
  expect(res.status).toBe(202);
  return res.body.id;
}

const doc = (topic: string) =>
  `Notes on ${topic}. ${topic} is studied by many people. This short document about ${topic} exists so the monitoring test has real work to watch, ${randomUUID()}.`;

describe("with workers and Redis", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ env: { REDIS_URL, REDIS_PREFIX: `${prefix()}:`, API_KEY: KEY, QUEUE_PREFIX: prefix() } });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it("refuses every /monitoring route without the API key", async () => {
    expect(monitoringRoutes.length).toBeGreaterThanOrEqual(11);
    for (const r of monitoringRoutes) {
      expect(accessOf(r), r.path).toBe("admin");
      const res = await fetch(`${stack.url}${r.path}`, { method: r.method, ...(r.method === "POST" ? { headers: { "content-type": "application/json" }, body: "{}" } : {}) });
      expect(res.status, `${r.method} ${r.path}`).toBe(401);
    }
    expect((await fetch(`${stack.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${stack.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(200);
  });

  it("shows one request's whole chain of events and tasks under its correlation id", async () => {
    const correlationId = `corr-${randomUUID()}`;
    const id = await post(stack, doc("astronomy"), { "x-correlation-id": correlationId });
    await untilCurrent(stack, id, { headers: { "x-api-key": KEY } });
    // The last task.completed of the chain can land just after the status turned current.
    const events = await waitFor(async () => {
      const res = await get<{ source: string; items: EventItem[] }>(stack, `/monitoring/events?limit=1000&correlationId=${correlationId}`);
      const done = res.body.items.filter((e) => e.name === "task.completed").map((e) => e.payload.task);
      return ["ingestion", "embedding", "search-index", "quality", "classification"].every((t) => done.includes(t)) ? res.body : undefined;
    });
    expect(events.source).toBe("redis");
    const names = new Set(events.items.map((e) => e.name));
    for (const n of ["resource.created", "ingestion.requested", "ingestion.completed", "resource.updated", "resource.content_changed", "embedding.generated", "search.index_updated", "quality.computed", "classification.suggested", "task.started", "task.completed"]) {
      expect(names, n).toContain(n);
    }
    expect(events.items.every((e) => e.correlationId === correlationId)).toBe(true);
    // Newest first, by event time; each item carries what the requirement lists.
    const times = events.items.map((e) => e.timestamp);
    expect([...times].sort().reverse()).toEqual(times);
    const created = events.items.find((e) => e.name === "resource.created")!;
    expect(created.payload.resourceId).toBe(id);
    expect(created.priority).toBeGreaterThanOrEqual(1);
    expect(created.eventId).toBeTruthy();

    const ledger = await get<{ items: TaskRow[] }>(stack, `/monitoring/tasks?correlationId=${correlationId}&limit=100`);
    for (const t of ["ingestion", "embedding", "search-index", "quality", "classification"]) {
      expect(ledger.body.items.some((r) => r.task === t && r.resourceId === id), t).toBe(true);
    }
    expect(ledger.body.items.every((r) => r.correlationId === correlationId)).toBe(true);
  });

  it("keeps the history in Redis, shared with other processes, capped at 1000", async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const key = historyKey(stack.config);
      const length = await redis.llen(key);
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThanOrEqual(1000);
      // Another process's emitter writes to the same list: its events show up here.
      const other = new RedisHistorySink(redis, key);
      const correlationId = `other-${randomUUID()}`;
      other.append({ eventId: randomUUID(), name: "job.completed", payload: { job: "elsewhere", summary: {} }, priority: 3, correlationId, timestamp: new Date().toISOString() });
      await other.drain();
      const res = await get<{ items: EventItem[] }>(stack, `/monitoring/events?correlationId=${correlationId}`);
      expect(res.body.items.map((e) => e.name)).toEqual(["job.completed"]);
      const typed = await get<{ items: EventItem[] }>(stack, "/monitoring/events?type=task.*&limit=5");
      expect(typed.body.items.length).toBe(5);
      expect(typed.body.items.every((e) => e.name.startsWith("task."))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it("/monitoring/tasks and its summary move when a task runs", async () => {
    const before = await get<{ items: Array<{ task: string; status: string; count: number; p50Ms: number; p95Ms: number }> }>(stack, "/monitoring/tasks/summary?windowMinutes=60");
    const count = (rows: typeof before.body.items, task: string) => rows.find((r) => r.task === task && r.status === "succeeded")?.count ?? 0;
    const lastBefore = (await get<{ items: TaskRow[] }>(stack, "/monitoring/tasks?limit=1")).body.items[0]?.id ?? 0;

    const id = await post(stack, doc("botany"));
    await untilCurrent(stack, id, { headers: { "x-api-key": KEY } });

    const after = await waitFor(async () => {
      const s = await get<typeof before.body>(stack, "/monitoring/tasks/summary?windowMinutes=60");
      return count(s.body.items, "classification") > count(before.body.items, "classification") ? s.body : undefined;
    });
    expect(count(after.items, "ingestion")).toBe(count(before.body.items, "ingestion") + 1);
    const ingestion = after.items.find((r) => r.task === "ingestion" && r.status === "succeeded")!;
    expect(ingestion.p50Ms).toBeGreaterThan(0);
    expect(ingestion.p95Ms).toBeGreaterThanOrEqual(ingestion.p50Ms);

    const list = await get<{ items: TaskRow[] }>(stack, `/monitoring/tasks?resourceId=${id}&limit=50`);
    expect(list.body.items.length).toBeGreaterThanOrEqual(5);
    expect(list.body.items[0]!.id).toBeGreaterThan(lastBefore);
    const ids = list.body.items.map((t) => t.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    const only = await get<{ items: TaskRow[] }>(stack, `/monitoring/tasks?resourceId=${id}&task=embedding&status=succeeded`);
    expect(only.body.items.length).toBeGreaterThanOrEqual(1);
    expect(only.body.items.every((t) => t.task === "embedding" && t.status === "succeeded" && t.resourceId === id)).toBe(true);
    expect((await get(stack, "/monitoring/tasks?status=bogus")).status).toBe(400);
  });

  it("/monitoring/workers, /db, /cache and /metrics move when work happens", async () => {
    type Workers = { runtime: string; pollers: Array<{ task: string; alive: boolean; processed: number; failed: number; concurrency: number; lastHeartbeat: string | null }> };
    type Db = { store: { operations: number; latencyMs: { p50: number | null; p95: number | null } }; health: { ok: boolean }; outbox: { pending: number } };
    type CacheStats = { totalOperations: number; hits: number; misses: number; hitRate: number };
    const scrape = async () => (await fetch(`${stack.url}/metrics`, { headers: { "x-api-key": KEY } })).text();
    const metric = (text: string, line: RegExp) => Number(text.split("\n").find((l) => line.test(l))?.split(" ").pop() ?? 0);

    const w0 = (await get<Workers>(stack, "/monitoring/workers")).body;
    const d0 = (await get<Db>(stack, "/monitoring/db")).body;
    const m0 = await scrape();
    const processed = (w: Workers, task: string) => w.pollers.find((p) => p.task === task)!.processed;

    const id = await post(stack, doc("geology"));
    await untilCurrent(stack, id, { headers: { "x-api-key": KEY } });
    const c0 = (await get<CacheStats>(stack, "/monitoring/cache")).body;
    expect((await get(stack, `/resources/${id}`)).status).toBe(200);
    expect((await get(stack, `/resources/${id}`)).status).toBe(200);

    const w1 = (await get<Workers>(stack, "/monitoring/workers")).body;
    expect(w1.runtime).toBe("local");
    expect(processed(w1, "ingestion")).toBeGreaterThan(processed(w0, "ingestion"));
    expect(processed(w1, "embedding")).toBeGreaterThan(processed(w0, "embedding"));
    for (const p of w1.pollers) {
      expect(p.alive).toBe(true);
      expect(p.concurrency).toBeGreaterThanOrEqual(1);
      expect(Date.now() - Date.parse(p.lastHeartbeat!)).toBeLessThan(10_000);
    }

    const d1 = (await get<Db>(stack, "/monitoring/db")).body;
    expect(d1.health.ok).toBe(true);
    expect(d1.store.operations).toBeGreaterThan(d0.store.operations);
    expect(d1.store.latencyMs.p95).toBeGreaterThanOrEqual(d1.store.latencyMs.p50!);

    const c1 = (await get<CacheStats>(stack, "/monitoring/cache")).body;
    expect(c1.totalOperations).toBeGreaterThanOrEqual(c0.totalOperations + 2);
    expect(c1.hits + c1.misses).toBeGreaterThanOrEqual(c0.hits + c0.misses + 2);

    const m1 = await waitFor(async () => {
      const text = await scrape();
      return metric(text, /^alexandria_task_executions_total\{task="classification",status="succeeded"\}/) >
        metric(m0, /^alexandria_task_executions_total\{task="classification",status="succeeded"\}/)
        ? text
        : undefined;
    });
    const ingested = /^alexandria_task_executions_total\{task="ingestion",status="succeeded"\}/;
    expect(metric(m1, ingested)).toBe(metric(m0, ingested) + 1);
    expect(metric(m1, /^alexandria_events_emitted_total\{name="resource.created"\}/)).toBeGreaterThan(metric(m0, /^alexandria_events_emitted_total\{name="resource.created"\}/));
    expect(metric(m1, /^alexandria_task_duration_seconds_count\{task="embedding",status="succeeded"\}/)).toBeGreaterThan(metric(m0, /^alexandria_task_duration_seconds_count\{task="embedding",status="succeeded"\}/));
    expect(metric(m1, /^alexandria_store\{figure="operations"\}/)).toBeGreaterThan(metric(m0, /^alexandria_store\{figure="operations"\}/));
    expect(metric(m1, /^alexandria_cache\{type="all",figure="misses"\}/) + metric(m1, /^alexandria_cache\{type="all",figure="hits"\}/)).toBeGreaterThan(
      metric(m0, /^alexandria_cache\{type="all",figure="misses"\}/) + metric(m0, /^alexandria_cache\{type="all",figure="hits"\}/),
    );
    expect(m1).toMatch(/^alexandria_queue_messages\{task="ingestion",state="visible"\} \d+/m);
    expect(metric(m1, /^alexandria_poller\{task="ingestion",figure="processed"\}/)).toBeGreaterThan(metric(m0, /^alexandria_poller\{task="ingestion",figure="processed"\}/));
  });

  it("/monitoring/workers includes worker processes that report through Redis", async () => {
    type Workers = { otherProcesses: Array<{ processId: string; pollers: Array<{ task: string; processed: number }> }> };
    expect((await get<Workers>(stack, "/monitoring/workers")).body.otherProcesses).toEqual([]);
    const redis = new Redis(REDIS_URL);
    const stop = startWorkerReports(redis, workersKey(stack.config), "other-host:4242:x", () => [
      { queue: "q", task: "embedding", alive: true, concurrency: 3, activeBatches: 1, activeMessages: 2, processed: 77, failed: 0, batches: 9, lastHeartbeat: new Date().toISOString() },
    ]);
    try {
      const other = await waitFor(async () => (await get<Workers>(stack, "/monitoring/workers")).body.otherProcesses.find((p) => p.processId === "other-host:4242:x"));
      expect(other.pollers).toEqual([expect.objectContaining({ task: "embedding", processed: 77 })]);
    } finally {
      await stop();
      redis.disconnect();
    }
    expect((await get<Workers>(stack, "/monitoring/workers")).body.otherProcesses).toEqual([]);
  });

  it("/monitoring/cache/health pings the process's Redis", async () => {
    const res = await get<{ configured: boolean; reachable: boolean; latencyMs: number; connection: string }>(stack, "/monitoring/cache/health");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ configured: true, reachable: true, connection: "ready" });
    expect(res.body.latencyMs).toBeGreaterThan(0);
    expect(res.body.latencyMs).toBeLessThan(1_000);
  });

  it("serves the dashboard page and its script", async () => {
    const page = await fetch(`${stack.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
    expect(await page.text()).toContain('id="dead-letters"');
    const script = await fetch(`${stack.url}/dashboard/app.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain("/monitoring/dead-letters/replay");
  });
});

describe("queues and freshness while work waits (no workers, no Redis)", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ workers: false, env: { QUEUE_PREFIX: prefix(), REDIS_URL: undefined } });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it("/monitoring/queues counts a waiting message and its age", async () => {
    const queues = async () => (await get<{ runtime: string; items: QueueItem[] }>(stack, "/monitoring/queues")).body;
    const before = await queues();
    expect(before.runtime).toBe("local");
    expect(before.items.map((q) => q.task).sort()).toEqual(stack.routes.map((r) => r.task).sort());
    const ingestion0 = before.items.find((q) => q.task === "ingestion")!;

    await post(stack, doc("chemistry"));
    await new Promise((r) => setTimeout(r, 2_100));
    const after = await queues();
    const ingestion1 = after.items.find((q) => q.task === "ingestion")!;
    expect(ingestion1.visible).toBe(ingestion0.visible + 1);
    expect(ingestion1.oldestMessageAgeSource).toBe("fauxqs-inspection");
    expect(ingestion1.oldestMessageAgeSeconds).toBeGreaterThanOrEqual(2);
    expect(after.items.every((q) => q.dlqDepth === 0)).toBe(true);
  });

  it("/monitoring/freshness counts ingestion that has not run; events come from this process without Redis", async () => {
    const f0 = (await get<{ ingestion: { pending: number }; oldestPendingSince: string | null }>(stack, "/monitoring/freshness")).body;
    const id = await post(stack, doc("physics"));
    const f1 = (await get<typeof f0>(stack, "/monitoring/freshness")).body;
    expect(f1.ingestion.pending).toBe(f0.ingestion.pending + 1);
    expect(f1.oldestPendingSince).not.toBeNull();

    const events = await get<{ source: string; items: EventItem[] }>(stack, "/monitoring/events?type=resource.created");
    expect(events.body.source).toBe("process");
    expect(events.body.items.some((e) => e.payload.resourceId === id)).toBe(true);

    const workers = await get<{ pollers: unknown[] }>(stack, "/monitoring/workers");
    expect(workers.body.pollers).toEqual([]);
    const health = await get<{ configured: boolean }>(stack, "/monitoring/cache/health");
    expect(health.body).toEqual({ configured: false });
  });
});

describe("freshness while derived data lags", () => {
  let stack: TestStack;
  beforeAll(async () => {
    // Embedding and classification wait 15 minutes on their queues; everything else runs at once.
    stack = await startTestStack({
      routeOverrides: instantTimings({ embedding: { delaySeconds: 900 }, classification: { delaySeconds: 900 } }),
      env: { QUEUE_PREFIX: prefix() },
    });
  });
  afterAll(async () => {
    await stack?.dispose();
  });

  it("counts and lists the lagging data per datum, and the delayed messages", async () => {
    type Fresh = { lagging: Record<string, number>; laggingResources: number; oldest: Array<{ id: string; lagging: string[] }>; ingestion: { completed: number } };
    const before = (await get<Fresh>(stack, "/monitoring/freshness")).body;
    const id = await post(stack, doc("zoology"));
    const after = await waitFor(async () => {
      const f = (await get<Fresh>(stack, "/monitoring/freshness")).body;
      const row = f.oldest.find((o) => o.id === id);
      // Ingestion done, and the quickly-routed data (search index, quality) caught up.
      return f.ingestion.completed > before.ingestion.completed && row && !row.lagging.includes("searchIndex") && !row.lagging.includes("quality") ? f : undefined;
    });
    expect(after.lagging.embedding).toBe(before.lagging.embedding! + 1);
    expect(after.lagging.classification).toBe(before.lagging.classification! + 1);
    expect(after.laggingResources).toBe(before.laggingResources + 1);
    expect(after.oldest.find((o) => o.id === id)!.lagging.sort()).toEqual(["classification", "embedding"]);

    const queues = (await get<{ items: QueueItem[] }>(stack, "/monitoring/queues")).body.items;
    expect(queues.find((q) => q.task === "embedding")!.delayed).toBeGreaterThanOrEqual(1);
    expect(queues.find((q) => q.task === "classification")!.delayed).toBeGreaterThanOrEqual(1);
  });
});
