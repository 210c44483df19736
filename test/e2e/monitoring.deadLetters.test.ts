/**
 * Dead letters end to end (issue 3, faults): a task that fails permanently is
 * sent to its DLQ with its reason; `GET /monitoring/dead-letters` lists it
 * without taking it out; `POST /monitoring/dead-letters/replay` (one message,
 * one task, or all) sends it back to its queue, where it runs again and the
 * ledger shows the second attempt. Real fauxqs through the AWS SDK.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { listDeadLetters, replayDeadLetters } from "@shared/app/deadLetters";

interface DeadLetter {
  messageId: string;
  task: string;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  event: string | null;
  resourceId: string | null;
  correlationId: string | null;
  sourceQueueUrl: string | null;
}
interface TaskRow {
  id: number;
  task: string;
  status: string;
  attempt: number;
  error: string | null;
}

let stack: TestStack;
let inbox: string;

beforeAll(async () => {
  stack = await startTestStack({ env: { QUEUE_PREFIX: `dl${process.pid}${randomUUID().slice(0, 6)}` } });
  // The default allowed folder for file:// URLs on the local runtime.
  inbox = path.join(stack.dataDir, "inbox");
  mkdirSync(inbox, { recursive: true });
});
afterAll(async () => {
  await stack?.dispose();
});

async function addFromFile(file: string, correlationId: string = randomUUID()): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { url: pathToFileURL(file).href }, { "x-correlation-id": correlationId });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function deadLetters(task?: string): Promise<{ items: DeadLetter[]; total: number }> {
  const res = await api<{ items: DeadLetter[]; total: number }>(stack, "GET", `/monitoring/dead-letters${task ? `?task=${task}` : ""}`);
  expect(res.status).toBe(200);
  return res.body;
}

function deadLetterFor(resourceId: string): Promise<DeadLetter> {
  return waitFor(async () => (await deadLetters()).items.find((d) => d.resourceId === resourceId), 30_000, 250);
}

async function replay(body: Record<string, unknown>): Promise<{ replayed: number; byTask: Record<string, number> }> {
  const res = await api<{ replayed: number; byTask: Record<string, number> }>(stack, "POST", "/monitoring/dead-letters/replay", body);
  expect(res.status).toBe(200);
  return res.body;
}

async function ingestionRuns(resourceId: string): Promise<TaskRow[]> {
  return (await api<{ items: TaskRow[] }>(stack, "GET", `/monitoring/tasks?task=ingestion&resourceId=${resourceId}`)).body.items;
}

const markdown = (title: string) => `# ${title}\n\nA document that arrived after its ingestion was first attempted, ${randomUUID()}.\n`;

describe("dead letters", () => {
  it("lists a permanent failure with its reason, replays it once its cause is fixed, and the ledger shows both attempts", async () => {
    const dlqDepth = async () => (await api<{ items: Array<{ task: string; dlqDepth: number }> }>(stack, "GET", "/monitoring/queues")).body.items.find((q) => q.task === "ingestion")!.dlqDepth;
    const failedBefore = (await api<{ ingestion: { failed: number } }>(stack, "GET", "/monitoring/freshness")).body.ingestion.failed;
    const depthBefore = await dlqDepth();

    const file = path.join(inbox, "arrives-later.md");
    const correlationId = `dlq-${randomUUID()}`;
    const id = await addFromFile(file, correlationId);
    const letter = await deadLetterFor(id);

    expect(letter).toMatchObject({ task: "ingestion", event: "ingestion.requested", resourceId: id, correlationId, attempts: 1 });
    expect(letter.error).toMatch(/arrives-later\.md/);
    expect(Date.now() - Date.parse(letter.failedAt!)).toBeLessThan(60_000);
    expect(letter.sourceQueueUrl).toBe(stack.topology.get("ingestion")!.queueUrl);
    expect(await dlqDepth()).toBe(depthBefore + 1);
    expect((await api<{ ingestion: { failed: number } }>(stack, "GET", "/monitoring/freshness")).body.ingestion.failed).toBe(failedBefore + 1);
    const first = await ingestionRuns(id);
    expect(first.map((r) => r.status)).toEqual(["failed"]);

    // Listing is a peek: the message is still there, under the same id.
    expect((await deadLetters("ingestion")).items.map((d) => d.messageId)).toContain(letter.messageId);
    expect((await deadLetters("embedding")).items.some((d) => d.messageId === letter.messageId)).toBe(false);

    writeFileSync(file, markdown("Arrives later"));
    expect(await replay({ messageId: letter.messageId })).toMatchObject({ replayed: 1, byTask: { ingestion: 1 } });

    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 45_000);
    const runs = await ingestionRuns(id);
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "failed"]);
    expect((await deadLetters()).items.some((d) => d.messageId === letter.messageId || d.resourceId === id)).toBe(false);
    expect(await dlqDepth()).toBe(depthBefore);
  });

  it("replays one message by id, one task's DLQ, or everything", async () => {
    const a = path.join(inbox, `a-${randomUUID()}.md`);
    const b = path.join(inbox, `b-${randomUUID()}.md`);
    const idA = await addFromFile(a);
    const idB = await addFromFile(b);
    // Outside every allowed folder: refused however often it is replayed.
    const idOut = await addFromFile(path.join(path.dirname(stack.dataDir), `outside-${randomUUID()}.md`));
    const [la, lb, lo] = await Promise.all([deadLetterFor(idA), deadLetterFor(idB), deadLetterFor(idOut)]);
    expect(lo.error).toMatch(/not inside an allowed folder/);

    writeFileSync(a, markdown("A"));
    expect((await replay({ messageId: la.messageId })).replayed).toBe(1);
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${idA}/status`)).body.upToDate, 45_000);
    const remaining = (await deadLetters()).items.map((d) => d.messageId);
    expect(remaining).not.toContain(la.messageId);
    expect(remaining).toEqual(expect.arrayContaining([lb.messageId, lo.messageId]));

    expect(await replay({ task: "embedding" })).toMatchObject({ replayed: 0, byTask: {} });
    expect((await replay({ messageId: "no-such-message" })).replayed).toBe(0);
    expect((await deadLetters()).items.map((d) => d.messageId)).toEqual(expect.arrayContaining([lb.messageId, lo.messageId]));

    writeFileSync(b, markdown("B"));
    expect(await replay({})).toMatchObject({ replayed: 2, byTask: { ingestion: 2 } });
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${idB}/status`)).body.upToDate, 45_000);
    // The refused one ran again, failed again, and is back as a new dead letter.
    const again = await waitFor(async () => (await deadLetters()).items.find((d) => d.resourceId === idOut && d.messageId !== lo.messageId), 30_000, 250);
    expect(again.error).toMatch(/not inside an allowed folder/);
    expect((await ingestionRuns(idOut)).map((r) => r.status)).toEqual(["failed", "failed"]);
    expect((await deadLetters()).items.map((d) => d.messageId)).not.toContain(lb.messageId);
  });

  it("finds the message asked for even while someone else is listing the DLQ", async () => {
    const id = await addFromFile(path.join(inbox, `c-${randomUUID()}.md`));
    const letter = await deadLetterFor(id);
    const [listed, replayed] = await Promise.all([listDeadLetters(stack.app), replayDeadLetters(stack.app, { messageId: letter.messageId })]);
    expect(replayed.replayed).toBe(1);
    expect(listed.items.length).toBeGreaterThanOrEqual(0);
  });

  it("rejects an unknown task name", async () => {
    expect((await api(stack, "GET", "/monitoring/dead-letters?task=bogus")).status).toBe(400);
    expect((await api(stack, "POST", "/monitoring/dead-letters/replay", { task: "bogus" })).status).toBe(400);
    expect((await api(stack, "POST", "/monitoring/dead-letters/replay", { everything: true })).status).toBe(400);
  });
});
