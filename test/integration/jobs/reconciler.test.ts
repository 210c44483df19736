/**
 * The reconciler heals what messages missed (docs/architecture.md, "Reconciler"): a queued
 * message deleted by hand, and the resource still becomes current. Real
 * fauxqs queues and pollers, real libSQL, the HTTP API.
 */
import { DeleteMessageCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resources, taskRuns } from "@shared/adapters/libsql/schema";
import type { TaskName } from "@shared/events/routing";
import { createReconcilerJob } from "@shared/jobs/reconciler";
import { runJob } from "@shared/jobs/registry";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";
import { insertResource, outboxEvents } from "./support";
import { resourceStatus } from "../../helpers/resourceStatus";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

const HOUR_AGO = () => new Date(Date.now() - 3600_000).toISOString();
/** No grace: what a lost message looks like once its grace has run out. */
const now = createReconcilerJob({ graceMs: 0 });

/** Deletes, by hand, every message about `id` waiting in a task's queue; returns how many. */
async function deleteQueued(task: TaskName, id: string): Promise<number> {
  const url = stack.topology.get(task)!.queueUrl;
  let deleted = 0;
  for (let round = 0; round < 3; round++) {
    const res = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }));
    for (const m of res.Messages ?? []) {
      if (!m.Body?.includes(id)) continue;
      await stack.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }));
      deleted++;
    }
  }
  return deleted;
}

/**
 * Stops the pollers, then outlasts their long polls: an aborted ReceiveMessage may still be
 * pending in the emulator and would swallow the next message for a whole visibility timeout.
 */
async function stopWorkers() {
  await stack.stopWorkers();
  await new Promise((r) => setTimeout(r, 1_500));
}

function startWorkers() {
  for (const p of stack.pollers) p.start();
}

async function row(id: string) {
  return (await stack.app.store.db.query.resources.findFirst({ where: eq(resources.id, id) }))!;
}

describe("reconciler", () => {
  let id = "";

  it("a deleted ingestion message: the resource still becomes current", async () => {
    await stopWorkers();
    const created = await api<{ id: string }>(stack, "POST", "/resources", { content: "# Reconciling\n\nMessages are triggers; the store is the truth. https://example.org/x", contentType: "text/markdown", title: "Reconciling", authors: ["Smith, John"] });
    expect(created.status).toBe(202);
    id = created.body.id;
    expect(await deleteQueued("ingestion", id)).toBe(1);
    startWorkers();

    // Nothing will ingest it now: the trigger is gone.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await resourceStatus(stack, id)).ingestion.status).toBe("pending");

    const summary = await runJob(stack.app, now);
    expect(summary.requeued).toMatchObject({ ingestion: 1, embedding: 0, searchIndex: 0 });
    const s = await waitFor(async () => {
      const st = await resourceStatus(stack, id);
      return st.upToDate ? st : undefined;
    }, 30_000);
    expect(s.ingestion.status).toBe("completed");
  });

  it("a deleted embedding message: only the lagging data is re-queued, and it catches up", async () => {
    await stopWorkers();
    const patched = await api(stack, "PATCH", `/resources/${id}`, { content: "# Reconciling\n\nA second revision, whose embedding message is lost." });
    expect(patched.status).toBe(202);
    // The new content is extracted by the ingestion task, which announces it: run that task alone.
    const ingestion = stack.pollers.find((p) => p.stats.task === "ingestion")!;
    ingestion.start();
    await waitFor(async () => {
      const r = await row(id);
      return r.ingestionStatus === "completed" && r.content?.includes("second revision");
    }, 30_000);
    await ingestion.stop();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await deleteQueued("embedding", id)).toBe(1);
    startWorkers();

    // Everything else catches up; the embedding and the classification that follows it cannot.
    await waitFor(async () => {
      const st = await resourceStatus(stack, id);
      const r = await row(id);
      return st.derived.searchIndex.current && st.derived.quality.current && r.graphRevision === r.contentRevision;
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1_000));
    const before = await resourceStatus(stack, id);
    expect(before.derived.embedding.current).toBe(false);
    expect(before.derived.classification.current).toBe(false);

    const summary = await runJob(stack.app, now);
    expect(summary.requeued).toEqual({ ingestion: 0, embedding: 1, searchIndex: 0, quality: 0, classification: 1, graph: 0, authors: 0 });
    // The triggers carry the current revisions.
    const r = await row(id);
    // The reconciler's own trigger is the last content_changed so far (tasks it woke pass its correlation id on).
    const trigger = (await outboxEvents(stack.app, "resource.content_changed")).at(-1);
    expect(String(trigger!.meta.correlationId)).toMatch(/^job:reconciler:/);
    expect(trigger!.payload).toMatchObject({ resourceId: id, revision: r.revision, contentRevision: r.contentRevision, contentHash: r.contentHash });
    await waitFor(async () => (await resourceStatus(stack, id)).upToDate, 30_000);
  });

  it("heals graph edges and author links of rows that never had a message", async () => {
    const stale = await insertResource(stack.app, { graphRevision: 0, authorsRevision: 0, authors: ["Lovelace, Ada"], updatedAt: HOUR_AGO() });
    // The registered job with its real grace (60 s at these route timings): an hour-old lag qualifies.
    const summary = await runJob(stack.app, "reconciler");
    expect(summary.requeued).toMatchObject({ graph: 1, authors: 1, embedding: 0 });
    await waitFor(async () => {
      const r = await row(stale);
      return r.graphRevision === 1 && r.authorsRevision === 1;
    }, 30_000);
  });

  it("leaves recent changes alone until their grace has passed", async () => {
    const fresh = await insertResource(stack.app, { indexedRevision: 0 });
    const summary = await runJob(stack.app, "reconciler");
    expect(summary.requeued).toMatchObject({ searchIndex: 0 });
    expect((await row(fresh)).indexedRevision).toBe(0);
    // Once its grace is over, it is picked up.
    await stack.app.store.write((tx) => tx.update(resources).set({ updatedAt: HOUR_AGO() }).where(eq(resources.id, fresh)));
    expect((await runJob(stack.app, "reconciler")).requeued).toMatchObject({ searchIndex: 1 });
    await waitFor(async () => (await row(fresh)).indexedRevision === 1, 30_000);
  });

  it("holds work that was dead-lettered after the last change, for a while", async () => {
    const poisoned = await insertResource(stack.app, { qualityRevision: 0, updatedAt: HOUR_AGO() });
    await stack.app.store.write((tx) =>
      tx.insert(taskRuns).values({ task: "quality", resourceId: poisoned, attempt: 3, status: "failed", startedAt: new Date(Date.now() - 60_000).toISOString(), error: "boom" }),
    );
    const held = await runJob(stack.app, "reconciler");
    expect(held).toMatchObject({ heldAsDeadLetters: 1, requeued: { quality: 0 } });
    const released = await runJob(stack.app, createReconcilerJob({ deadLetterHoldMs: 30_000 }));
    expect(released).toMatchObject({ heldAsDeadLetters: 0, requeued: { quality: 1 } });
    await waitFor(async () => (await row(poisoned)).qualityRevision === 1, 30_000);
  });

  it("caps each run and continues where the last one stopped", async () => {
    await stopWorkers();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await insertResource(stack.app, { id: `zz-cap-${i}`, indexedRevision: 0, updatedAt: HOUR_AGO() }));
    const capped = createReconcilerJob({ limit: 2 });
    const seen: string[][] = [];
    const cappedRuns: boolean[] = [];
    for (let run = 0; run < 4; run++) {
      const summary = await runJob(stack.app, capped);
      const events = (await outboxEvents(stack.app, "resource.updated")).filter((e) => ids.includes(String(e.payload.resourceId)));
      const byRun = new Map<string, string[]>();
      for (const e of events) byRun.set(String(e.meta.correlationId), [...(byRun.get(String(e.meta.correlationId)) ?? []), String(e.payload.resourceId)]);
      seen.push([...byRun.values()].at(-1) ?? []);
      cappedRuns.push(summary.capped as boolean);
    }
    // 0-1, then 2-3 (4 still waiting: capped), then 4 (done), then from the start again.
    expect(seen).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4), ids.slice(0, 2)]);
    expect(cappedRuns).toEqual([true, true, false, true]);
    startWorkers();
    await waitFor(async () => (await Promise.all(ids.map(row))).every((r) => r.indexedRevision === 1), 30_000);
  });
});
