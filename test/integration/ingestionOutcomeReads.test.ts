/**
 * Issue 15 finding 8: every ingestion outcome is a change of state, and
 * GET /resources/{id} shows it as soon as the ingestion task has finished —
 * never the cached `pending` until the TTL runs out. With Redis (L1 + L2) and
 * without (L1 only).
 *
 * Each case reads the resource through the API while it is pending (so the
 * pending view is cached), waits for the task's final ledger row, and compares
 * the API's answer with a fresh read of the store (no cache). Follow-up tasks
 * (quality, classification) may change the resource between two reads, so the
 * answer must equal the fresh read taken just before it or the one just after.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { sharedRedisUrl } from "../helpers/sharedRedis";
import { instantTimings, TaskNames } from "@shared/events/routing";
import { categoriesOf, loadResource, toView, type ResourceView } from "@shared/app/resources";

describe.each([
  { mode: "with Redis", redis: true },
  { mode: "without Redis", redis: false },
])("GET /resources/{id} after each ingestion outcome, $mode", ({ redis }) => {
  let stack: TestStack;
  let inbox: string;

  beforeAll(async () => {
    inbox = mkdtempSync(path.join(os.tmpdir(), "alexandria-inbox-"));
    // Ingestion waits 3 s on its queue: time for the client's first read to cache the pending view. Every other
    // task (the queued cache-invalidation that repeats it, the follow-ups that invalidate the view for their own
    // changes) is held back 10 s: the answer right after the ingestion must not depend on them.
    const held = Object.fromEntries(TaskNames.map((task) => [task, { delaySeconds: task === "ingestion" ? 3 : 10 }]));
    stack = await startTestStack({
      env: { REDIS_URL: redis ? sharedRedisUrl() : undefined, FILE_ALLOWED_DIRS: inbox, ALLOW_FILE_URLS: "true" },
      routeOverrides: instantTimings(held),
    });
  }, 150_000);

  afterAll(async () => {
    if (stack) stack.app.config.faultTransientRate = 0;
    await stack?.dispose();
    rmSync(inbox, { recursive: true, force: true });
  });

  async function fresh(id: string): Promise<ResourceView> {
    return JSON.parse(JSON.stringify(toView(await loadResource(stack.app, id), await categoriesOf(stack.app, id)))) as ResourceView;
  }

  async function ledger(id: string): Promise<string[]> {
    const rs = await stack.app.store.client.execute({ sql: "SELECT status FROM task_runs WHERE task = 'ingestion' AND resource_id = ? ORDER BY id", args: [id] });
    return rs.rows.map((r) => String(r.status));
  }

  /** Caches the pending view: the read a client makes right after creating the resource. */
  async function readWhilePending(id: string): Promise<void> {
    const first = await api<ResourceView>(stack, "GET", `/resources/${id}`);
    expect(first.status).toBe(200);
    expect(first.body.ingestion.status).toBe("pending");
  }

  async function expectCurrent(id: string): Promise<ResourceView> {
    const before = await fresh(id);
    const served = await api<ResourceView>(stack, "GET", `/resources/${id}`);
    const after = await fresh(id);
    expect(served.status).toBe(200);
    if (JSON.stringify(served.body) !== JSON.stringify(after)) expect(served.body).toEqual(before);
    return served.body;
  }

  it("completed: shows the ingested resource", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "# Completed\n\nA document that is ingested at once.", contentType: "text/markdown" });
    expect(res.status).toBe(202);
    await readWhilePending(res.body.id);
    await waitFor(async () => (await ledger(res.body.id)).includes("succeeded"), 60_000, 20);
    const view = await expectCurrent(res.body.id);
    expect(view.ingestion.status).toBe("completed");
  }, 150_000);

  it("failed: shows failed with its error", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { url: "file:///etc/hostname" });
    expect(res.status).toBe(202);
    await readWhilePending(res.body.id);
    await waitFor(async () => (await ledger(res.body.id)).includes("failed"), 60_000, 20);
    const view = await expectCurrent(res.body.id);
    expect(view.ingestion.status).toBe("failed");
    expect(view.ingestion.error).toBeTruthy();
  }, 150_000);

  it("retried, then completed: shows the ingested resource", async () => {
    stack.app.config.faultTransientRate = 1;
    let id = "";
    try {
      const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "A document whose first ingestion attempt fails.", contentType: "text/plain" });
      expect(res.status).toBe(202);
      id = res.body.id;
      await readWhilePending(id);
      await waitFor(async () => (await ledger(id)).includes("retrying"), 60_000, 20);
    } finally {
      stack.app.config.faultTransientRate = 0;
    }
    // While it waits for its retry it is still pending, and shown so.
    expect((await expectCurrent(id)).ingestion.status).toBe("pending");
    await waitFor(async () => (await ledger(id)).includes("succeeded"), 60_000, 20);
    const view = await expectCurrent(id);
    expect(view.ingestion.status).toBe("completed");
  }, 150_000);
});
