/**
 * Issue 14's throughput changes keep their guarantees:
 * - the relay publishes the staged events of concurrent writers in shared
 *   passes, and each writer returns only once the bus has its events;
 * - with `handOff` (the local runtime) a writer returns after its commit and
 *   the relay publishes its events later, exactly once, also when the writer's
 *   process dies in between (the sweeper's); inline buses are still waited for;
 * - a poller loop receives its next batch while the previous one is still in
 *   its handler (ledger commit pending), but deletes a batch only after its
 *   handler returned, and never holds more than `pipelineDepth` batches.
 * Real libSQL file store and a real fauxqs queue; the bus is a recording
 * implementation of our own port.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { GetQueueAttributesCommand, SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { eq, inArray, isNull } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { outbox } from "@shared/adapters/libsql/schema";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { ensureQueues } from "@shared/adapters/sqs/queueTopology";
import { QueuePoller } from "@shared/adapters/local/poller";
import { writeWithEvents } from "@shared/app/unitOfWork";
import type { DomainEvent } from "@shared/events/catalogue";
import { Events } from "@shared/events/catalogue";
import { EventEmitter } from "@shared/events/emitter";
import { routeFor, type Route } from "@shared/events/routing";
import { HAND_OFF_BACKLOG, OutboxRelay, WRITER_GRACE_MS } from "@shared/outbox/outbox";
import type { EventBus, PublishResult } from "@shared/ports/bus";
import type { SqsBatchHandler } from "@shared/ports/consumers";
import { startQueueServer, type QueueServer } from "@local/queue/queueServer";

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "relay-pipeline-"));
  store = Store.open({ url: `file:${path.join(dir, "store.db")}` });
  await store.migrate();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Records every publish call; `fail` refuses every event. */
class RecordingBus implements EventBus {
  calls: DomainEvent[][] = [];
  fail = false;
  async publish(events: readonly DomainEvent[]): Promise<PublishResult> {
    this.calls.push([...events]);
    await new Promise((r) => setTimeout(r, 5));
    return { failedEventIds: this.fail ? events.map((e) => e.meta.eventId) : [] };
  }
  published(): Set<string> {
    return new Set(this.calls.flat().map((e) => e.meta.eventId));
  }
}

describe("outbox relay passes", () => {
  it("publishes the events of writers committing together in one pass, each writer returning after its events were published", async () => {
    const bus = new RecordingBus();
    const relay = new OutboxRelay(store, bus, new EventEmitter());
    const returnedPublished: boolean[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        writeWithEvents({ store, relay }, `relay-${i}`, async (_tx, emit) => {
          emit(Events.cache.invalidationRequested, { keys: [`k${i}`], tags: [], patterns: [] });
        }).then(() => returnedPublished.push(bus.calls.flat().some((e) => e.meta.correlationId === `relay-${i}`))),
      ),
    );
    expect(returnedPublished).toEqual(Array(8).fill(true));
    // 8 writes share one group commit; their 8 events share the first pass (not 8 publishes).
    expect(bus.calls.length).toBeLessThan(8);
    expect(bus.calls[0]!.length).toBeGreaterThan(1);
    expect(bus.calls.flat()).toHaveLength(8);
    await store.flushGrouped();
    const unpublished = await store.db.select().from(outbox).where(isNull(outbox.publishedAt));
    expect(unpublished).toHaveLength(0);
  });

  it("leaves every event of a refused pass in the outbox, marked failed, for the sweeper", async () => {
    const bus = new RecordingBus();
    bus.fail = true;
    const relay = new OutboxRelay(store, bus, new EventEmitter());
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        writeWithEvents({ store, relay }, `refused-${i}`, async (_tx, emit) => {
          emit(Events.cache.invalidationRequested, { keys: [`r${i}`], tags: [], patterns: [] });
        }),
      ),
    );
    await store.flushGrouped();
    const rows = await store.db.select().from(outbox).where(isNull(outbox.publishedAt));
    expect(rows.filter((r) => String(r.meta.correlationId).startsWith("refused-")).map((r) => r.attempts)).toEqual([1, 1, 1, 1]);
    bus.fail = false;
    const swept = await relay.sweep(0);
    expect(swept.published).toBe(4);
  });
});

/** A bus whose publishes wait until `open()`: the time between a writer's commit and its publish, held open. */
class GatedBus extends RecordingBus {
  readonly runsConsumers: boolean;
  #gate: Promise<void>;
  #open!: () => void;
  constructor(options: { runsConsumers?: boolean } = {}) {
    super();
    this.runsConsumers = options.runsConsumers ?? false;
    this.#gate = new Promise<void>((r) => (this.#open = r));
  }
  open(): void {
    this.#open();
  }
  override async publish(events: readonly DomainEvent[]): Promise<PublishResult> {
    await this.#gate;
    return super.publish(events);
  }
}

/** The outbox rows of these writers (by correlation id). */
async function rowsOf(correlationIds: string[]) {
  return (await store.db.select().from(outbox)).filter((r) => correlationIds.includes(String(r.meta.correlationId)));
}

describe("writers handing their events to the relay (handOff)", () => {
  const write = (relay: OutboxRelay, correlationId: string, n = 1) =>
    writeWithEvents({ store, relay }, correlationId, async (_tx, emit) => {
      for (let i = 0; i < n; i++) emit(Events.cache.invalidationRequested, { keys: [`${correlationId}-${i}`], tags: [], patterns: [] });
    });

  it("returns after the commit, before the publish; the relay then publishes each event exactly once, the process's own sweeper leaving it alone", async () => {
    const bus = new GatedBus();
    const relay = new OutboxRelay(store, bus, new EventEmitter(), { handOff: true });
    const ids = Array.from({ length: 8 }, (_, i) => `handoff-${i}`);
    await Promise.all(ids.map((id) => write(relay, id)));
    // Every writer has returned; nothing has reached the bus, and the events are committed, unpublished.
    expect(bus.calls).toHaveLength(0);
    const committed = await rowsOf(ids);
    expect(committed).toHaveLength(8);
    expect(committed.every((r) => r.publishedAt === null)).toBe(true);
    // Even taken for a dead writer's (older than the grace), this process's sweeper does not send them a second time.
    await store.db.update(outbox).set({ createdAt: new Date(Date.now() - WRITER_GRACE_MS - 1_000).toISOString() }).where(inArray(outbox.id, committed.map((r) => r.id)));
    const sweepDuring = relay.sweep(0);
    bus.open();
    await relay.drain();
    await sweepDuring;
    await store.flushGrouped();
    const sent = bus.calls.flat().filter((e) => ids.includes(e.meta.correlationId));
    expect(sent.map((e) => e.meta.correlationId).sort()).toEqual([...ids].sort());
    expect((await rowsOf(ids)).every((r) => r.publishedAt !== null)).toBe(true);
    expect((await relay.sweep(0)).published).toBe(0);
  });

  it("a writer's process dying between its commit and the publish: another process's sweeper publishes the event once", async () => {
    // The dead process: its writer returned, its publish never happened (hung bus, then abandoned).
    const deadBus = new GatedBus();
    const dead = new OutboxRelay(store, deadBus, new EventEmitter(), { handOff: true });
    await write(dead, "crashed-writer");
    const [row] = await rowsOf(["crashed-writer"]);
    expect(row?.publishedAt).toBeNull();
    expect(row?.attempts).toBe(0);
    // Another process: within the writer's grace it leaves the row alone (the writer may still publish it) ...
    const bus = new RecordingBus();
    const other = new OutboxRelay(store, bus, new EventEmitter(), { handOff: true });
    await other.sweep(0);
    expect(bus.published().has(row!.id)).toBe(false);
    // ... after it, the writer is presumed dead and the sweeper publishes it, once.
    await store.db.update(outbox).set({ createdAt: new Date(Date.now() - WRITER_GRACE_MS - 1_000).toISOString() }).where(eq(outbox.id, row!.id));
    await other.sweep(0);
    await other.sweep(0);
    await store.flushGrouped();
    expect(bus.calls.flat().filter((e) => e.meta.eventId === row!.id)).toHaveLength(1);
    expect((await rowsOf(["crashed-writer"]))[0]?.publishedAt).not.toBeNull();
  });

  it("waits for the publish when the bus runs its consumers (inline mode): the chain is done when the writer returns", async () => {
    const bus = new GatedBus({ runsConsumers: true });
    const relay = new OutboxRelay(store, bus, new EventEmitter(), { handOff: true });
    let returned = false;
    const writing = write(relay, "inline-writer").then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 200));
    expect(returned).toBe(false);
    bus.open();
    await writing;
    expect(bus.calls.flat().map((e) => e.meta.correlationId)).toEqual(["inline-writer"]);
  });

  it("pushes back on writers when more than HAND_OFF_BACKLOG events wait for a hung bus", async () => {
    const bus = new GatedBus();
    const relay = new OutboxRelay(store, bus, new EventEmitter(), { handOff: true });
    await write(relay, "backlog-small", 10);
    let returned = false;
    const big = write(relay, "backlog-big", HAND_OFF_BACKLOG).then(() => (returned = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(returned).toBe(false);
    bus.open();
    await big;
    await relay.drain();
    expect(bus.calls.flat().filter((e) => e.meta.correlationId.startsWith("backlog-"))).toHaveLength(HAND_OFF_BACKLOG + 10);
  });
});

describe("poller pipelining (real fauxqs queue)", () => {
  let fauxqs: QueueServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;
  const route: Route = { ...routeFor("cache-invalidation"), delaySeconds: 0, batchWindowSeconds: 0, batchSize: 10 };
  beforeAll(async () => {
    fauxqs = await startQueueServer({ port: 0 });
    sqs = createSqsClient({ endpoint: fauxqs.endpoint, region: "us-east-1" });
    const topology = await ensureQueues(sqs, [route], `pp${process.pid}`);
    ({ queueUrl, queueArn } = topology.get(route.task)!);
  });
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  async function send(n: number, tag: string) {
    for (let i = 0; i < n; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: Math.min(10, n - i) }, (_, j) => ({ Id: String(j), MessageBody: `${tag}-${i + j}` })) }),
      );
    }
  }
  async function notVisible(): Promise<number> {
    const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessages"] }));
    return Number(res.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(res.Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  async function until(check: () => boolean, ms = 5_000) {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error("condition not met in time");
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A handler whose calls wait until released: each call's records, and a release per call. */
  function heldHandler() {
    const calls: string[][] = [];
    const releases: Array<() => void> = [];
    const handler: SqsBatchHandler = async (event) => {
      calls.push(event.Records.map((r) => r.body));
      await new Promise<void>((r) => releases.push(r));
      return { batchItemFailures: [] };
    };
    return { calls, releases, handler };
  }

  it("receives the next batch while one is in its handler, up to pipelineDepth, and deletes a batch only after its handler returned", async () => {
    await send(30, "p");
    const { calls, releases, handler } = heldHandler();
    const poller = new QueuePoller({ sqs, route, queueUrl, queueArn, handler, waitTimeSeconds: 1, concurrency: 1, pipelineDepth: 2 });
    poller.start();
    try {
      await until(() => calls.length === 2);
      // Two batches held by one loop; the third is not received while both are pending.
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toHaveLength(2);
      expect(await notVisible()).toBe(30);
      releases[0]!();
      await until(() => calls.length === 3);
      await until(() => poller.stats.processed === 10);
      // The released batch is gone from the queue; the others are still there (held, not deleted).
      await new Promise((r) => setTimeout(r, 100));
      expect(await notVisible()).toBe(20);
      releases[1]!();
      releases[2]!();
      await until(() => poller.stats.processed === 30);
      expect(await notVisible()).toBe(0);
    } finally {
      for (const r of releases) r();
      await poller.stop({ graceMs: 3_000 });
    }
  });

  it("with pipelineDepth 1 a loop holds one batch at a time", async () => {
    await send(20, "q");
    const { calls, releases, handler } = heldHandler();
    const poller = new QueuePoller({ sqs, route, queueUrl, queueArn, handler, waitTimeSeconds: 1, concurrency: 1, pipelineDepth: 1 });
    poller.start();
    try {
      await until(() => calls.length === 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toHaveLength(1);
      releases[0]!();
      await until(() => calls.length === 2);
      releases[1]!();
      await until(() => poller.stats.processed === 20);
    } finally {
      for (const r of releases) r();
      await poller.stop({ graceMs: 3_000 });
    }
  });
});
