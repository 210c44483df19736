/**
 * The code every message passes through, tested on its own: fromEnvelope,
 * backoff, TaskRunner.runMessages and createSqsConsumer, plus the revision
 * guard that skips superseded messages. Real libSQL (a temporary file) for
 * the ledger and the rows, a real fauxqs queue for visibility and the DLQ;
 * the task is a test task whose behaviour each message chooses.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { taskRuns } from "@shared/adapters/libsql/schema";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { ensureQueues } from "@shared/adapters/sqs/queueTopology";
import type { AppContext } from "@shared/app/context";
import { loadConfig } from "@shared/config";
import { isPermanent, PermanentError, TransientError } from "@shared/errors";
import { EventEmitter } from "@shared/events/emitter";
import { routeFor, type Route } from "@shared/events/routing";
import { fromEnvelope } from "@shared/outbox/envelope";
import { loadUnlessDone } from "@shared/tasks/revisionGuard";
import { backoffSeconds, TaskRunner } from "@shared/tasks/runner";
import { createSqsConsumer } from "@shared/tasks/sqsConsumer";
import { defineTask } from "@shared/tasks/types";
import { startQueueServer, type QueueServer } from "@local/queue/queueServer";
import { insertResource } from "../../integration/jobs/support";
import { envelopeBody, sqsEvent, sqsRecord } from "../../helpers/sqsRecords";

const route: Route = { ...routeFor("quality"), maxRetries: 2, retryBaseSeconds: 1, delaySeconds: 0 };
const gaveUp: string[] = [];

/** A task whose behaviour the message's resource id names. */
const testTask = defineTask({
  name: "quality",
  consumes: ["resource.metadata_changed"],
  subjectOf: (e) => e.payload.resourceId,
  async run(event) {
    const how = event.payload.resourceId.split(":")[0];
    if (how === "flaky") throw new TransientError("flaky dependency");
    if (how === "broken") throw new PermanentError("hopeless input");
    if (how === "skip") return { status: "skipped", reason: "superseded by revision 9", revision: event.payload.revision };
    return { status: "succeeded", revision: event.payload.revision };
  },
  async onGiveUp(event) {
    gaveUp.push(event.payload.resourceId);
  },
});

const body = (id: string, revision = 1) => envelopeBody("resource.metadata_changed", { resourceId: id, revision, contentRevision: 1, metadataRevision: revision });

let dir: string;
let app: AppContext;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "message-path-"));
  const config = loadConfig({ DATA_DIR: dir, LOG_LEVEL: "silent" });
  store = Store.open({ url: `file:${path.join(dir, "store.db")}` });
  await store.migrate();
  // The runner reads only these parts of the context: config, store (ledger) and emitter.
  app = { config, store, emitter: new EventEmitter() } as unknown as AppContext;
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  gaveUp.length = 0;
});

describe("backoffSeconds", () => {
  it("doubles per attempt within ±20 % jitter", () => {
    for (let attempt = 1; attempt <= 6; attempt++) {
      const base = 10 * 2 ** (attempt - 1);
      expect(backoffSeconds({ retryBaseSeconds: 10 }, attempt, () => 0)).toBe(Math.round(base * 0.8));
      expect(backoffSeconds({ retryBaseSeconds: 10 }, attempt, () => 0.999999)).toBe(Math.round(base * 1.2));
    }
  });

  it("never exceeds SQS's 12-hour visibility cap nor goes below zero", () => {
    expect(backoffSeconds({ retryBaseSeconds: 60 }, 40, () => 1)).toBe(43_200);
    expect(backoffSeconds({ retryBaseSeconds: 0 }, 1, () => 0)).toBe(0);
    expect(backoffSeconds({ retryBaseSeconds: 10 }, 0, () => 0.5)).toBe(10);
  });
});

describe("fromEnvelope", () => {
  it("parses a valid envelope into the event", () => {
    const event = fromEnvelope(body("r1", 4));
    expect(event.name).toBe("resource.metadata_changed");
    expect(event.payload).toEqual({ resourceId: "r1", revision: 4, contentRevision: 1, metadataRevision: 4 });
  });

  it.each([
    ["not JSON", "{nope", /^message body is not JSON$/],
    ["not an envelope", JSON.stringify({ hello: "world" }), /^message is not an event envelope/],
    ["an unknown event", JSON.stringify({ "detail-type": "resource.exploded", source: "x", detail: {} }), /^unknown event resource\.exploded$/],
    ["no meta", JSON.stringify({ "detail-type": "resource.created", source: "x", detail: { resourceId: "r", revision: 1 } }), /has no valid meta/],
  ])("refuses %s, permanently", (_what, raw, reason) => {
    let error: unknown;
    try {
      fromEnvelope(raw);
    } catch (e) {
      error = e;
    }
    expect(isPermanent(error)).toBe(true);
    expect(String((error as Error).message)).toMatch(reason);
  });

  it("refuses a payload that does not match its event's schema, naming the fields", () => {
    const valid = JSON.parse(body("r1")) as { detail: Record<string, unknown> };
    valid.detail.revision = "two";
    delete valid.detail.resourceId;
    expect(() => fromEnvelope(JSON.stringify(valid))).toThrow(/^invalid payload for resource\.metadata_changed: .*resourceId.*revision|^invalid payload for resource\.metadata_changed: .*revision.*resourceId/);
  });
});

describe("TaskRunner.runMessages", () => {
  const runner = () => new TaskRunner(app, testTask, route);
  const msg = (b: string, attempt = 1) => ({ messageId: crypto.randomUUID(), body: b, attempt });

  it("decides each message of a batch on its own (partial batch failure)", async () => {
    const fates = await runner().runMessages([msg(body("ok:1")), msg("{broken json"), msg(body("flaky:1")), msg(body("broken:1")), msg(body("skip:1"))]);
    expect(fates.map((f) => f.kind)).toEqual(["done", "dead-letter", "retry", "dead-letter", "done"]);
    expect(fates[1]).toEqual({ kind: "dead-letter", error: "message body is not JSON" });
    expect(fates[3]).toEqual({ kind: "dead-letter", error: "hopeless input" });
    expect(fates[4]).toMatchObject({ kind: "done", result: { status: "skipped", reason: "superseded by revision 9" } });
    // Only the work the task gave up on is handed to onGiveUp; a malformed message never reached the task.
    expect(gaveUp).toEqual(["broken:1"]);
  });

  it("retries a transient failure with backoff until its retries are spent, then dead-letters it", async () => {
    const [first] = await runner().runMessages([msg(body("flaky:2"), 1)]);
    expect(first).toMatchObject({ kind: "retry", error: "flaky dependency" });
    expect(first?.kind === "retry" && first.delaySeconds).toBeGreaterThanOrEqual(1);
    const [second] = await runner().runMessages([msg(body("flaky:2"), 2)]);
    expect(second?.kind === "retry" && second.delaySeconds).toBeGreaterThanOrEqual(2);
    const [last] = await runner().runMessages([msg(body("flaky:2"), route.maxRetries + 1)]);
    expect(last).toEqual({ kind: "dead-letter", error: "flaky dependency" });
    expect(gaveUp).toEqual(["flaky:2"]);
  });

  it("dead-letters an event the task does not consume without running it", async () => {
    const [fate] = await runner().runMessages([msg(envelopeBody("resource.created", { resourceId: "ok:3", revision: 1 }))]);
    expect(fate).toEqual({ kind: "dead-letter", error: "task quality does not consume resource.created" });
  });

  it("records every attempt in the ledger", async () => {
    const m = msg(body("flaky:4"), 1);
    await runner().runMessages([m]);
    const rows = await store.db.select().from(taskRuns).where(eq(taskRuns.messageId, m.messageId));
    expect(rows.map((r) => ({ status: r.status, attempt: r.attempt, resourceId: r.resourceId, error: r.error }))).toEqual([
      { status: "retrying", attempt: 1, resourceId: "flaky:4", error: "flaky dependency" },
    ]);
  });
});

describe("revision guard", () => {
  it("skips a message for a superseded revision, and work already current", async () => {
    const id = await insertResource(app, { revision: 3, qualityRevision: 2 });
    expect(await loadUnlessDone(app, id, { datum: "quality", messageRevision: 2 })).toEqual({ skip: { status: "skipped", reason: "superseded by revision 3", revision: 2 } });
    expect(await loadUnlessDone(app, id, { datum: "quality", messageRevision: 3 })).toMatchObject({ row: { id, revision: 3 } });
    const current = await insertResource(app, { revision: 3, qualityRevision: 3 });
    expect(await loadUnlessDone(app, current, { datum: "quality", messageRevision: 3 })).toEqual({ skip: { status: "skipped", reason: "already current", revision: 3 } });
    expect(await loadUnlessDone(app, "gone", { datum: "quality", messageRevision: 3 })).toEqual({ skip: { status: "skipped", reason: "resource deleted" } });
  });
});

describe("createSqsConsumer (real fauxqs queue)", () => {
  let fauxqs: QueueServer;
  let sqs: SQSClient;
  let queueUrl: string;
  let dlqUrl: string;
  beforeAll(async () => {
    fauxqs = await startQueueServer({ port: 0 });
    sqs = createSqsClient({ endpoint: fauxqs.endpoint, region: "us-east-1" });
    const topology = await ensureQueues(sqs, [route], `mp${process.pid}`);
    ({ queueUrl, dlqUrl } = topology.get("quality")!);
  });
  afterAll(async () => {
    sqs?.destroy();
    await fauxqs?.stop();
  });

  /** Sends bodies and receives them back, hidden for a minute: the records a consumer is handed. */
  async function delivered(bodies: string[]) {
    for (const b of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: b }));
    const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }));
    const messages = got.Messages ?? [];
    expect(messages).toHaveLength(bodies.length);
    return bodies.map((b) => messages.find((m) => m.Body === b)!).map((m) => sqsRecord(m.Body!, { messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, attempt: Number(m.Attributes?.ApproximateReceiveCount ?? 1) }));
  }

  it("reports only retries as batch failures, shortens their visibility to the backoff, and dead-letters the rest with the reason", async () => {
    const handler = createSqsConsumer({ app, task: testTask, route, sqs, queueUrl, dlqUrl });
    const records = await delivered([body("ok:10"), body("flaky:10"), body("broken:10"), "not json"]);
    const response = await handler(sqsEvent(...records));
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.messageId }]);

    // The retried message was hidden for 60 s on receipt; its visibility is now the ~1 s backoff.
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5 }));
    expect((again.Messages ?? []).map((m) => m.Body)).toEqual([records[1]!.body]);

    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
    const reasons = Object.fromEntries((dead.Messages ?? []).map((m) => [m.Body, m.MessageAttributes?.error?.StringValue]));
    expect(reasons).toEqual({ [records[2]!.body]: "hopeless input", "not json": "message body is not JSON" });
    expect((dead.Messages ?? []).every((m) => m.MessageAttributes?.task?.StringValue === "quality")).toBe(true);
  });
});
