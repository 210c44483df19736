/**
 * Issue 14, "writers that don't fight": a task run is one write transaction.
 * Its change, the outbox rows of the events it announces and its ledger row
 * commit together; bookkeeping writes (ledger rows of runs that wrote
 * nothing, outbox "published" marks) ride in the next transaction of the
 * process instead of making their own. Counted by the store itself
 * (`stats.writeTransactions`: every BEGIN … COMMIT). Real libSQL on a
 * temporary file; the bus is a recorder (EventBridge is the AWS boundary).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { and, eq, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { outbox, resources, taskRuns } from "@shared/adapters/libsql/schema";
import type { AppContext } from "@shared/app/context";
import { writeWithEvents } from "@shared/app/unitOfWork";
import { loadConfig } from "@shared/config";
import { TransientError } from "@shared/errors";
import type { DomainEvent } from "@shared/events/catalogue";
import { EventEmitter } from "@shared/events/emitter";
import { routeFor, type Route } from "@shared/events/routing";
import { OutboxRelay } from "@shared/outbox/outbox";
import type { EventBus } from "@shared/ports/bus";
import { TaskRunner } from "@shared/tasks/runner";
import { defineTask, type TaskResult } from "@shared/tasks/types";
import { insertResource } from "../../integration/jobs/support";
import { envelopeBody } from "../../helpers/sqsRecords";

const route: Route = { ...routeFor("quality"), maxRetries: 2, retryBaseSeconds: 1, delaySeconds: 0 };

/** Scores the resource like the quality task does: a compare-and-set write that announces quality.computed. */
const scoringTask = defineTask({
  name: "quality",
  consumes: ["resource.metadata_changed"],
  subjectOf: (e) => e.payload.resourceId,
  async run(event, ctx) {
    const { resourceId: id, revision } = event.payload;
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision } : { status: "skipped", reason: "already scored" });
    const applied = await writeWithEvents(
      ctx.app,
      ctx.correlationId,
      async (tx, emit) => {
        const res = await tx.update(resources).set({ qualityScore: 0.5, qualityRevision: revision }).where(and(eq(resources.id, id), eq(resources.qualityRevision, 0)));
        if (res.rowsAffected === 0) return false;
        emit("quality.computed", { resourceId: id, revision, score: 0.5 });
        return true;
      },
      { outcome: resultOf },
    );
    // After the commit: what a task does there (cache invalidation) can still fail.
    if (applied && id.startsWith("fails-after-commit")) throw new TransientError("cache unreachable");
    if (!applied) return resultOf(false);
    // The ledger says what the run returned, even when that is not what its transaction expected.
    if (id.startsWith("other-result")) return { status: "succeeded", revision, reason: "something else" };
    return resultOf(true);
  },
});

/** Skips without writing anything. */
const skippingTask = defineTask({
  name: "quality",
  consumes: ["resource.metadata_changed"],
  subjectOf: (e) => e.payload.resourceId,
  async run() {
    return { status: "skipped", reason: "nothing to do" };
  },
});

const published: DomainEvent[] = [];
const bus: EventBus = {
  async publish(events) {
    published.push(...events);
    return { failedEventIds: [] };
  },
};

let dir: string;
let store: Store;
let app: AppContext;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "one-commit-"));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "silent" });
  store = Store.open({ url: `file:${path.join(dir, "store.db")}` });
  await store.migrate();
  const emitter = new EventEmitter();
  app = { config, store, emitter, relay: new OutboxRelay(store, bus, emitter) } as unknown as AppContext;
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const transactions = () => store.stats.snapshot().writeTransactions;
const message = (id: string) => ({ messageId: crypto.randomUUID(), body: envelopeBody("resource.metadata_changed", { resourceId: id, revision: 1, contentRevision: 1, metadataRevision: 1 }), attempt: 1 });
const ledgerOf = (id: string) => store.db.select().from(taskRuns).where(eq(taskRuns.resourceId, id));

describe("one commit per task", () => {
  it("a run that writes makes one transaction: its change, its outbox rows and its ledger row", async () => {
    const id = await insertResource(app, { id: "one-tx", qualityRevision: 0 });
    await store.flushGrouped();
    const before = transactions();
    const [fate] = await new TaskRunner(app, scoringTask, route).runMessages([message(id)]);
    expect(fate).toMatchObject({ kind: "done", result: { status: "succeeded", revision: 1 } });
    expect(transactions() - before).toBe(1);
    expect((await ledgerOf(id)).map((r) => ({ status: r.status, revision: r.revision, eventId: r.eventId !== null }))).toEqual([{ status: "succeeded", revision: 1, eventId: true }]);
    const staged = await store.db.select().from(outbox).where(eq(outbox.name, "quality.computed"));
    expect(staged.filter((r) => (r.payload as { resourceId: string }).resourceId === id)).toHaveLength(1);
    expect(published.some((e) => e.name === "quality.computed" && "resourceId" in e.payload && e.payload.resourceId === id)).toBe(true);
  });

  it("the published mark rides in the next write transaction instead of one of its own", async () => {
    const first = await insertResource(app, { id: "mark-a", qualityRevision: 0 });
    const second = await insertResource(app, { id: "mark-b", qualityRevision: 0 });
    await store.flushGrouped();
    const before = transactions();
    await new TaskRunner(app, scoringTask, route).runMessages([message(first)]);
    const unmarked = () => store.db.select({ id: outbox.id }).from(outbox).where(and(isNull(outbox.publishedAt), eq(outbox.name, "quality.computed")));
    expect(await unmarked()).toHaveLength(1);
    await new TaskRunner(app, scoringTask, route).runMessages([message(second)]);
    // Two runs, two transactions: the first run's mark went into the second's.
    expect(transactions() - before).toBe(2);
    expect(await unmarked()).toHaveLength(1);
    await store.flushGrouped();
    expect(await unmarked()).toHaveLength(0);
  });

  it("a run that writes nothing gets its ledger row in the next transaction of the process", async () => {
    await store.flushGrouped();
    const before = transactions();
    const original = store.writeGrouped.bind(store);
    let queued!: () => void;
    const rowQueued = new Promise<void>((r) => (queued = r));
    store.writeGrouped = (fn, options) => {
      const committed = original(fn, options);
      queued();
      return committed;
    };
    const run = new TaskRunner(app, skippingTask, route).runMessages([message("skip-1")]);
    await rowQueued;
    store.writeGrouped = original;
    // Another write within the group-commit window carries the row.
    await store.write((tx) => tx.update(resources).set({ title: "touched" }).where(eq(resources.id, "one-tx")));
    const [fate] = await run;
    expect(fate).toMatchObject({ kind: "done", result: { status: "skipped" } });
    expect(transactions() - before).toBe(1);
    expect((await ledgerOf("skip-1")).map((r) => r.status)).toEqual(["skipped"]);
  });

  it("a run that fails after its commit has one ledger row, corrected to what happened", async () => {
    const id = await insertResource(app, { id: "fails-after-commit", qualityRevision: 0 });
    const [fate] = await new TaskRunner(app, scoringTask, route).runMessages([message(id)]);
    expect(fate).toMatchObject({ kind: "retry", error: "cache unreachable" });
    expect((await ledgerOf(id)).map((r) => ({ status: r.status, error: r.error }))).toEqual([{ status: "retrying", error: "cache unreachable" }]);
  });

  it("a run that returns another result than its transaction recorded is corrected, not doubled", async () => {
    const id = await insertResource(app, { id: "other-result", qualityRevision: 0 });
    await new TaskRunner(app, scoringTask, route).runMessages([message(id)]);
    expect((await ledgerOf(id)).map((r) => ({ status: r.status, detail: r.detail }))).toEqual([{ status: "succeeded", detail: "something else" }]);
  });
});

describe("Store riders", () => {
  it("a rider that fails is undone alone: the host's change and the other riders commit", async () => {
    const bad = store.writeGrouped((tx) => tx.insert(resources).values({ id: "one-tx" } as typeof resources.$inferInsert));
    const good = store.writeGrouped((tx) => tx.update(resources).set({ title: "rider" }).where(eq(resources.id, "mark-a")));
    const before = transactions();
    await store.write((tx) => tx.update(resources).set({ title: "host" }).where(eq(resources.id, "mark-b")));
    await expect(bad).rejects.toThrow();
    await expect(good).resolves.toBeUndefined();
    expect(transactions() - before).toBe(1);
    const titles = await store.db.select({ id: resources.id, title: resources.title }).from(resources).where(eq(resources.title, "rider"));
    expect(titles).toEqual([{ id: "mark-a", title: "rider" }]);
  });

  it("riders of a failed host transaction wait for the next one", async () => {
    const rider = store.writeGrouped((tx) => tx.update(resources).set({ title: "survives" }).where(eq(resources.id, "mark-a")));
    await expect(store.write(async () => Promise.reject(new Error("host failed")))).rejects.toThrow("host failed");
    await rider;
    const [row] = await store.db.select({ title: resources.title }).from(resources).where(eq(resources.id, "mark-a"));
    expect(row?.title).toBe("survives");
  });
});

describe("Store group commit", () => {
  it("writes queued behind the one holding the lock share the next transaction; one failing is undone alone", async () => {
    await store.flushGrouped();
    const before = transactions();
    let release!: () => void;
    let started!: () => void;
    const holdsLock = new Promise<void>((r) => (started = r));
    const holding = store.write(
      () =>
        new Promise<void>((r) => {
          release = r;
          started();
        }),
    );
    await holdsLock;
    const a = store.write((tx) => tx.update(resources).set({ title: "queued a" }).where(eq(resources.id, "mark-a")));
    const failing = store.write(async (tx) => {
      await tx.update(resources).set({ title: "never" }).where(eq(resources.id, "one-tx"));
      throw new Error("this one fails");
    });
    const b = store.write((tx) => tx.update(resources).set({ title: "queued b" }).where(eq(resources.id, "mark-b")));
    release();
    await holding;
    await Promise.all([a, b]);
    await expect(failing).rejects.toThrow("this one fails");
    expect(transactions() - before).toBe(2);
    const rows = await store.db.select({ id: resources.id, title: resources.title }).from(resources);
    const title = (id: string) => rows.find((r) => r.id === id)?.title;
    expect([title("mark-a"), title("mark-b")]).toEqual(["queued a", "queued b"]);
    expect(title("one-tx")).not.toBe("never");
  });
});

describe("synchronous", () => {
  async function levelsOf(s: Store): Promise<number[]> {
    // Concurrent reads borrow distinct pooled connections: every one must carry the setting.
    const rows = await Promise.all(Array.from({ length: 8 }, () => s.client.execute("PRAGMA synchronous")));
    return rows.map((r) => Number(r.rows[0]?.[0]));
  }

  it("is NORMAL (1) on every pooled connection by default, FULL (2) when asked", async () => {
    const normal = Store.open({ url: `file:${path.join(dir, "normal.db")}`, maxConcurrency: 8 });
    const full = Store.open({ url: `file:${path.join(dir, "full.db")}`, maxConcurrency: 8, synchronous: "full" });
    try {
      expect(normal.synchronous).toBe("normal");
      expect(await levelsOf(normal)).toEqual(Array(8).fill(1));
      expect(await levelsOf(full)).toEqual(Array(8).fill(2));
    } finally {
      normal.close();
      full.close();
    }
  });
});
