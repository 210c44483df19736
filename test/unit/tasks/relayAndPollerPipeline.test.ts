/**
 * Issue 14's throughput changes keep their guarantees:
 * - the relay publishes the staged events of concurrent writers in shared
 *   passes, and each writer returns only once the bus has its events;
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
import { isNull } from "drizzle-orm";
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
import { OutboxRelay } from "@shared/outbox/outbox";
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
