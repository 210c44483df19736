/** Cache cleanup: the cache's own cleanup when it has one, and the store's growing bookkeeping. */
import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobRuns, outbox, resourceStats, taskRuns } from "@shared/adapters/libsql/schema";
import type { AppContext } from "@shared/app/context";
import type { Cache } from "@shared/ports/cache";
import { createCacheCleanupJob } from "@shared/jobs/cacheCleanup";
import { runJob } from "@shared/jobs/registry";
import { startTestStack, type TestStack } from "../../helpers/stack";
import { insertResource } from "./support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workers: false });
});
afterAll(async () => {
  await stack?.dispose();
});

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

async function taskRun(startedAt: string, detail: string) {
  await stack.app.store.write((tx) => tx.insert(taskRuns).values({ task: "embedding", attempt: 1, status: "succeeded", startedAt, detail }));
}
async function details() {
  return (await stack.app.store.db.select({ d: taskRuns.detail }).from(taskRuns).where(inArray(taskRuns.detail, ["8d", "2h", "30m", "now"]))).map((r) => r.d).sort();
}

describe("cache cleanup", () => {
  it("prunes the ledger after 7 days, published outbox rows after a day, and the job log after 30 days", async () => {
    await taskRun(ago(8 * DAY), "8d");
    await taskRun(ago(2 * HOUR), "2h");
    await taskRun(ago(30 * MIN), "30m");
    await taskRun(ago(0), "now");
    await stack.app.store.write(async (tx) => {
      await tx.insert(outbox).values([
        { id: "old-published", name: "resource.updated", payload: {}, meta: {}, createdAt: ago(2 * DAY), publishedAt: ago(2 * DAY) },
        { id: "old-unpublished", name: "resource.updated", payload: {}, meta: {}, createdAt: ago(2 * DAY), publishedAt: null },
        { id: "new-published", name: "resource.updated", payload: {}, meta: {}, createdAt: ago(MIN), publishedAt: ago(MIN) },
      ]);
      await tx.insert(jobRuns).values([
        { job: "old-x", startedAt: ago(40 * DAY), status: "succeeded" },
        { job: "old-x", startedAt: ago(35 * DAY), status: "succeeded" },
        { job: "old-x", startedAt: ago(DAY), status: "succeeded" },
        { job: "old-y", startedAt: ago(40 * DAY), status: "succeeded" },
      ]);
    });
    const kept = await insertResource(stack.app);
    await stack.app.store.write((tx) => tx.insert(resourceStats).values([{ resourceId: kept, reads: 3 }, { resourceId: "deleted-resource", reads: 7 }]));

    const summary = await runJob(stack.app, "cache-cleanup");
    expect(summary).toMatchObject({ taskRunsPruned: 1, outboxPruned: 1, jobRunsPruned: 2, orphanedResourceStatsPruned: 1 });
    // Whichever cache the stack was built with: its cleanup ran cleanly, or it has none.
    if (typeof (stack.app.cache as { cleanup?: unknown }).cleanup === "function") {
      expect(summary.cache).not.toHaveProperty("error");
      expect(summary.cache).not.toEqual({ supported: false });
    } else {
      expect(summary.cache).toEqual({ supported: false });
    }
    expect(await details()).toEqual(["2h", "30m", "now"]);
    const ids = (await stack.app.store.db.select({ id: outbox.id }).from(outbox).where(inArray(outbox.id, ["old-published", "old-unpublished", "new-published"]))).map((r) => r.id).sort();
    expect(ids).toEqual(["new-published", "old-unpublished"]);
    // Each job keeps its latest run, however old.
    const y = await stack.app.store.db.select().from(jobRuns).where(eq(jobRuns.job, "old-y"));
    expect(y).toHaveLength(1);
    expect((await stack.app.store.db.select().from(jobRuns).where(eq(jobRuns.job, "old-x"))).map((r) => r.startedAt)).toHaveLength(1);
    expect((await stack.app.store.db.select().from(resourceStats)).map((r) => r.resourceId)).toEqual([kept]);
  });

  it("never prunes ledger rows younger than an hour (requirement 4.6), whatever the setting", async () => {
    const summary = await runJob(stack.app, createCacheCleanupJob({ taskRunRetentionMs: MIN }));
    expect(summary).toMatchObject({ taskRunsPruned: 1, retention: { taskRunsHours: 1 } });
    expect(await details()).toEqual(["30m", "now"]);
  });

  it("runs the cache's own cleanup when it has one, and prunes the store even if that fails", async () => {
    let calls = 0;
    // The port has no cleanup(); the job looks for one on whatever cache it is given.
    const withCleanup = (cleanup: () => Promise<unknown>): AppContext => ({ ...stack.app, cache: Object.assign(Object.create(stack.app.cache) as Cache, { cleanup }) });
    const cleaning = withCleanup(async () => ({ removed: 4, calls: ++calls }));
    expect((await createCacheCleanupJob().run(cleaning)).cache).toEqual({ removed: 4, calls: 1 });

    await taskRun(ago(9 * DAY), "8d");
    const failing = withCleanup(async () => Promise.reject(new Error("redis down")));
    const summary = await createCacheCleanupJob().run(failing);
    expect(summary).toMatchObject({ cache: { supported: true, error: "redis down" }, taskRunsPruned: 1 });
  });
});
