/**
 * Fault (requirement 14; docs/architecture.md, "Redis never holds the truth"): Redis unreachable. REDIS_URL points
 * at a port nobody listens on, from the start. Every request still answers
 * (no 5xx, no hang waiting for Redis), writes are read back at once (no stale
 * answer), and derived data still becomes current. What the cache itself does
 * during an outage is tested with the cache (test/integration/cache).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { freePort } from "../helpers/processes";
import { instantTimings } from "@shared/events/routing";

/**
 * Longest acceptable answer while Redis is down: a request must not hang on
 * Redis. (Writes currently pay the cache's bounded wait for a connection,
 * `invalidateConnectWaitMs`, 1.5 s; on a loaded CI machine more.)
 */
const MAX_MS = 15_000;
const latencies: Array<{ what: string; ms: number }> = [];

interface OpenApi {
  paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string; required?: boolean }> }>>;
}

let stack: TestStack;
beforeAll(async () => {
  const deadPort = await freePort();
  stack = await startTestStack({ env: { REDIS_URL: `redis://127.0.0.1:${deadPort}` }, routeOverrides: instantTimings() });
});
afterAll(async () => {
  const worst = new Map<string, number>();
  for (const l of latencies) worst.set(l.what, Math.max(worst.get(l.what) ?? 0, l.ms));
  console.log(`[redis-down] slowest answer per route (ms): ${[...worst].sort((a, b) => b[1] - a[1]).map(([w, ms]) => `${w} ${ms.toFixed(0)}`).join(", ")}`);
  await stack?.dispose();
});

async function timedApi<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T; ms: number }> {
  const t0 = performance.now();
  const res = await api<T>(stack, method, path, body);
  const ms = performance.now() - t0;
  latencies.push({ what: `${method} ${path.replace(/\/[0-9a-f]{8}-[0-9a-f-]{27}/g, "/{id}").replace(/\?.*/, "")}`, ms });
  expect(res.status, `${method} ${path} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
  expect(ms, `${method} ${path} took ${ms.toFixed(0)} ms`).toBeLessThan(MAX_MS);
  return { ...res, ms };
}

describe("Redis unreachable", () => {
  const user = `redis-down-${Date.now()}`;
  let id = "";
  let batchId = "";

  it("accepts writes and brings resources up to date", async () => {
    const created = await timedApi<{ id: string }>("POST", "/resources", { content: "Caching is an optimisation, never the truth. A cache outage must not fail a request.", contentType: "text/plain", title: "Cache outage" });
    expect(created.status).toBe(202);
    id = created.body.id;
    const batch = await timedApi<{ batchId: string }>("POST", "/resources/batch", { items: [{ content: "A second resource, in a batch.", contentType: "text/plain" }] });
    expect(batch.status).toBe(202);
    batchId = batch.body.batchId;
    await waitFor(async () => (await timedApi<{ upToDate: boolean }>("GET", `/resources/${id}/status`)).body.upToDate, 30_000, 200);
    await waitFor(async () => (await timedApi<{ complete: boolean }>("GET", `/batches/${batchId}`)).body.complete, 30_000, 200);
  });

  it("answers a read after a write with the new value (nothing stale is served)", async () => {
    for (let i = 1; i <= 3; i++) {
      expect((await timedApi<{ title: string }>("GET", `/resources/${id}`)).status).toBe(200);
      const patched = await timedApi<{ title: string }>("PATCH", `/resources/${id}`, { title: `Cache outage, take ${i}` });
      expect(patched.status).toBe(200);
      expect((await timedApi<{ title: string }>("GET", `/resources/${id}`)).body.title).toBe(`Cache outage, take ${i}`);
    }
    const found = await waitFor(async () => {
      const r = await timedApi<{ results: Array<{ id: string; title: string | null }> }>("GET", "/search?mode=keyword&q=outage");
      return r.body.results.find((x) => x.id === id && x.title === "Cache outage, take 3");
    }, 15_000, 200);
    expect(found).toBeTruthy();
  });

  it("tracks interactions and refreshes profiles", async () => {
    for (let i = 0; i < 10; i++) expect((await timedApi("POST", "/interactions", { userId: user, resourceId: id, type: "view" })).status).toBe(201);
    await waitFor(async () => {
      const rs = await stack.app.store.client.execute({ sql: "SELECT refresh_count FROM user_profiles WHERE user_id = ?", args: [user] });
      return Number(rs.rows[0]?.refresh_count ?? 0) >= 1;
    }, 20_000, 200);
  });

  it("answers every GET endpoint of the API without a 5xx or a hang", async () => {
    const doc = (await timedApi<OpenApi>("GET", "/openapi.json")).body;
    let checked = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!ops.get) continue;
      const value = template.startsWith("/users/") ? user : template.startsWith("/batches/") ? batchId : id;
      const path = template.replace(/\{\w+\}/g, value);
      await timedApi("GET", path);
      checked++;
    }
    for (const mode of ["keyword", "semantic", "hybrid"]) await timedApi("GET", `/search?mode=${mode}&q=cache`);
    expect(checked).toBeGreaterThanOrEqual(8);
  });

  it("deletes, and the deleted resource is gone at once", async () => {
    const extra = await timedApi<{ id: string }>("POST", "/resources", { content: "Short-lived resource.", contentType: "text/plain" });
    await timedApi("GET", `/resources/${extra.body.id}`);
    expect((await timedApi("DELETE", `/resources/${extra.body.id}`)).status).toBe(204);
    expect((await timedApi("GET", `/resources/${extra.body.id}`)).status).toBe(404);
  });
});
