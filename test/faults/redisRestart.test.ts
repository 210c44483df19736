/**
 * Fault (issue 7): stop and restart Redis during load, at the API level. A
 * redis-server of this test's own, with an fsynced append-only file (so the
 * cached values from before the crash come back after the restart: the hard
 * case), is SIGKILLed while clients keep updating and reading resources, then
 * restarted. No request may fail, no read after an answered write may return
 * the old value, and afterwards every cached view is current.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { startRedisServer, type TestRedisServer } from "../helpers/redisServer";
import { instantTimings } from "@shared/events/routing";

const PHASE_MS = 3_000;

interface View {
  title: string;
  description: string | null;
}

let redis: TestRedisServer;
let stack: TestStack;
/** A second API (own L1 cache, same store, same Redis): what another process or Lambda would serve. */
let other: TestStack;

beforeAll(async () => {
  redis = await startRedisServer({ persistent: true });
  const env = { REDIS_URL: redis.url, REDIS_PREFIX: `na-test-${process.pid}-${Date.now()}:` };
  stack = await startTestStack({ env, routeOverrides: instantTimings() });
  other = await startTestStack({ workers: false, sweepIntervalMs: 0, env: { ...env, DATA_DIR: stack.dataDir } });
});
afterAll(async () => {
  await other?.stop();
  await stack?.dispose();
  await redis?.dispose();
});

describe("Redis stopped and restarted under load", () => {
  it("answers every request, never serves a value older than an answered write, and is current afterwards", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api<{ id: string }>(stack, "POST", "/resources", { content: `Resource ${i} for the Redis restart test. Plain text about caches.`, contentType: "text/plain", title: `r${i} v0` });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    for (const id of ids) await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 30_000, 200);
    // Both APIs have every resource cached (L1 and Redis) before the crash.
    for (const id of ids) for (const via of [stack, other]) expect((await api<View>(via, "GET", `/resources/${id}`)).body.title).toMatch(/v0$/);

    const failures: string[] = [];
    const latest = new Map<string, string>();
    const phase = { name: "up" };
    const counts = { requests: 0, writes: 0 };
    let running = true;

    const read = async (via: TestStack, id: string, expected: string | undefined, label: string) => {
      const r = await api<View>(via, "GET", `/resources/${id}`);
      counts.requests++;
      if (r.status !== 200) failures.push(`[${phase.name}] ${label} GET ${r.status} ${JSON.stringify(r.body)}`);
      else if (expected !== undefined && r.body.title !== expected) failures.push(`[${phase.name}] ${label} stale read: "${r.body.title}", expected "${expected}"`);
    };

    // One client per resource, so "the value of the last answered write" is exact: update it, then read it
    // back through this API and through the second one (another process's cache, same Redis).
    const client = async (owner: number) => {
      const id = ids[owner]!;
      for (let k = 0; running; k++) {
        const title = `r${owner} k${k} ${phase.name}`;
        const w = await api<View>(stack, "PATCH", `/resources/${id}`, { title });
        counts.requests++;
        if (w.status !== 200) {
          failures.push(`[${phase.name}] PATCH ${w.status} ${JSON.stringify(w.body)}`);
          continue;
        }
        counts.writes++;
        latest.set(id, title);
        await read(stack, id, title, "same API");
        await read(other, id, title, "other API");
        const neighbour = ids[(owner + 1) % ids.length]!;
        await read(other, neighbour, undefined, "other API");
      }
    };
    const clients = ids.map((_, owner) => client(owner));

    await new Promise((r) => setTimeout(r, PHASE_MS));
    phase.name = "down";
    await redis.kill("SIGKILL");
    await new Promise((r) => setTimeout(r, PHASE_MS));
    phase.name = "restarted";
    await redis.restart();
    await new Promise((r) => setTimeout(r, PHASE_MS));
    running = false;
    await Promise.all(clients);
    console.log(`[redis-restart] ${counts.requests} requests (${counts.writes} writes) across up/down/restarted phases, ${failures.length} failures`);
    expect(failures).toEqual([]);
    expect(counts.writes).toBeGreaterThanOrEqual(9);

    // Afterwards: every cached view shows the last write, for reads and for derived data.
    for (const id of ids) {
      expect((await api<View>(stack, "GET", `/resources/${id}`)).body.title).toBe(latest.get(id));
      expect((await api<View>(other, "GET", `/resources/${id}`)).body.title).toBe(latest.get(id));
      await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 30_000, 200);
    }
    const rows = await stack.app.store.client.execute("SELECT id, title FROM resources");
    for (const r of rows.rows) expect(latest.get(String(r.id))).toBe(String(r.title));
  });
});
