/**
 * A forged message on a task queue (issue 15, finding 1): a valid envelope
 * whose payload does not match its event's schema is never run. Sent with the
 * real AWS SDK to the fauxqs queue the local stack consumes; the consumer
 * refuses it at the door and moves it to the DLQ with the reason, on the
 * first delivery (never retried), and the cache it asked to wipe is intact.
 */
import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { taskRuns } from "@shared/adapters/libsql/schema";
import { startTestStack, waitFor, type TestStack } from "../helpers/stack";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ api: false });
});
afterAll(async () => {
  await stack?.dispose();
});

function forged(detailType: string, payload: Record<string, unknown>, correlationId: string): string {
  const meta = { eventId: randomUUID(), correlationId, priority: 10, occurredAt: new Date().toISOString() };
  return JSON.stringify({ version: "0", id: meta.eventId, "detail-type": detailType, source: "neo-alexandria", account: "0", time: meta.occurredAt, region: "local", resources: [], detail: { ...payload, meta } });
}

describe("a forged message through the queue", () => {
  it("with a payload of the wrong shape is not run and lands in the DLQ with its reason", async () => {
    const queues = stack.topology.get("cache-invalidation")!;
    await stack.app.cache.set("resource", "forgery-target", { kept: true }, { tags: ["forgery"] });
    const correlationId = `FORGED-VIA-SQS-${randomUUID()}`;
    // patterns: ["*"] would wipe the whole cache; `tags` of the wrong type makes the payload invalid.
    const body = forged("cache.invalidation_requested", { patterns: ["*"], tags: "everything", keys: 42 }, correlationId);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body }));

    const dead = await waitFor(async () => {
      const res = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
      return (res.Messages ?? []).find((m) => m.Body?.includes(correlationId));
    }, 20_000);
    const reason = dead.MessageAttributes?.error?.StringValue ?? "";
    expect(reason).toMatch(/^invalid payload for cache\.invalidation_requested: /);
    expect(reason).toContain("tags");
    expect(reason).toContain("keys");
    expect(dead.MessageAttributes?.attempts?.StringValue).toBe("1");

    // Not run: the ledger has exactly one failed attempt and no task.started for it; the cache is intact.
    const runs = await stack.app.store.db.select().from(taskRuns).where(eq(taskRuns.task, "cache-invalidation"));
    const forgedRuns = runs.filter((r) => r.messageId === dead.MessageAttributes?.messageId?.StringValue || r.error === reason);
    expect(forgedRuns.map((r) => ({ status: r.status, attempt: r.attempt }))).toEqual([{ status: "failed", attempt: 1 }]);
    expect(stack.app.emitter.history({ name: "task.started" }).filter((e) => e.correlationId === correlationId)).toEqual([]);
    expect(await stack.app.cache.get("resource", "forgery-target")).toEqual({ kept: true });
  });

  it("an event the task does not consume is refused the same way", async () => {
    const queues = stack.topology.get("cache-invalidation")!;
    const correlationId = `MISROUTED-${randomUUID()}`;
    const body = forged("quality.computed", { resourceId: "r1", revision: 1, score: 0.5 }, correlationId);
    await stack.sqs.send(new SendMessageCommand({ QueueUrl: queues.queueUrl, MessageBody: body }));
    const dead = await waitFor(async () => {
      const res = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }));
      return (res.Messages ?? []).find((m) => m.Body?.includes(correlationId));
    }, 20_000);
    expect(dead.MessageAttributes?.error?.StringValue).toBe("task cache-invalidation does not consume quality.computed");
  });
});
