/**
 * Faults (requirement 5, 14; docs/architecture.md, "Retries and a message's fate"): retries with exponential backoff
 * on SQS, then the dead-letter queue with the failure's context; a permanent
 * failure goes to the DLQ after exactly one attempt, without burning retries.
 *
 * Transient failures come from the fault-injection setting (FAULT_TRANSIENT_RATE,
 * read on every execution from the app config), switched to 1 for one resource's
 * ingestion and back to 0. Retry base shortened to 1 s, so the gaps between
 * attempts should be ≈ 1, 2, 4 s (±20% jitter, plus polling latency).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ReceiveMessageCommand, type Message } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { instantTimings, routeFor } from "@shared/events/routing";
import { readLedger, type LedgerRow } from "../helpers/taskLedger";

const BASE_S = 1;

let stack: TestStack;
let inbox: string;

beforeAll(async () => {
  inbox = mkdtempSync(path.join(os.tmpdir(), "alexandria-inbox-"));
  stack = await startTestStack({
    env: { FILE_ALLOWED_DIRS: inbox, ALLOW_FILE_URLS: "true" },
    routeOverrides: instantTimings({ ingestion: { retryBaseSeconds: BASE_S } }),
  });
});
afterAll(async () => {
  stack.app.config.faultTransientRate = 0;
  await stack?.dispose();
  rmSync(inbox, { recursive: true, force: true });
});

function ingestionLedger(id: string): Promise<LedgerRow[]> {
  return readLedger(stack.app.store, { task: "ingestion", resourceId: id });
}

/** Messages about `resourceId` on the ingestion DLQ (received and left visible again at once). */
async function deadLetters(resourceId: string): Promise<Message[]> {
  const dlqUrl = stack.topology.get("ingestion")!.dlqUrl;
  const found = new Map<string, Message>();
  for (let i = 0; i < 3; i++) {
    const res = await stack.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0, MessageAttributeNames: ["All"], MessageSystemAttributeNames: ["All"] }));
    for (const m of res.Messages ?? []) {
      const detail = (JSON.parse(m.Body ?? "{}") as { detail?: { resourceId?: string } }).detail;
      if (detail?.resourceId === resourceId && m.MessageId) found.set(m.MessageId, m);
    }
  }
  return [...found.values()];
}

interface View {
  ingestion: { status: string; error: string | null };
}

describe("retries, backoff and dead letters", () => {
  it("sends a permanent failure (file:// outside the allowed folders) to the DLQ after exactly one attempt", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { url: "file:///etc/hostname" });
    expect(res.status).toBe(202);
    const id = res.body.id;
    const view = await waitFor(async () => {
      const v = await api<View>(stack, "GET", `/resources/${id}`);
      return v.body.ingestion.status === "failed" ? v.body : undefined;
    }, 20_000);
    // Readers get a code and a fixed sentence; the path and the reason stay in the task record below.
    expect(view.ingestion.error).toBe("fetch_refused: the URL is not allowed by the fetch policy");

    const dlq = await waitFor(async () => {
      const d = await deadLetters(id);
      return d.length > 0 ? d : undefined;
    }, 10_000);
    expect(dlq).toHaveLength(1);
    const attrs = dlq[0]!.MessageAttributes ?? {};
    expect(attrs.task?.StringValue).toBe("ingestion");
    expect(attrs.attempts?.StringValue).toBe("1");
    expect(attrs.error?.StringValue).toMatch(/not inside an allowed folder/);
    expect(attrs.sourceQueueUrl?.StringValue).toBe(stack.topology.get("ingestion")!.queueUrl);

    // Give a wrongly retried message time to come back, then check there was one attempt only.
    await new Promise((r) => setTimeout(r, (BASE_S + 1) * 1000));
    const rows = await ingestionLedger(id);
    expect(rows.map((r) => [r.attempt, r.status])).toEqual([[1, "failed"]]);
    expect(rows[0]!.error).toMatch(/not inside an allowed folder/);
    expect(rows[0]!.stack).toMatch(/FetchRefusedError/);
  });

  it("retries a transient failure maxRetries times with growing gaps ≈ base·2^(n-1), then dead-letters it with its context", async () => {
    const route = routeFor("ingestion", stack.routes);
    expect(route.retryBaseSeconds).toBe(BASE_S);
    const attempts = route.maxRetries + 1;

    stack.app.config.faultTransientRate = 1;
    let id = "";
    try {
      const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "A document that will not be ingested while faults are injected.", contentType: "text/plain" });
      expect(res.status).toBe(202);
      id = res.body.id;
      await waitFor(async () => ((await ingestionLedger(id)).length >= attempts ? true : undefined), 30_000, 200);
    } finally {
      stack.app.config.faultTransientRate = 0;
    }

    const view = await waitFor(async () => {
      const v = await api<View>(stack, "GET", `/resources/${id}`);
      return v.body.ingestion.status === "failed" ? v.body : undefined;
    }, 10_000);
    expect(view.ingestion.error).toBe("ingestion_failed: the document could not be ingested after retries");

    const rows = await ingestionLedger(id);
    expect(rows.map((r) => r.attempt)).toEqual(Array.from({ length: attempts }, (_, i) => i + 1));
    expect(rows.map((r) => r.status)).toEqual([...Array<string>(attempts - 1).fill("retrying"), "failed"]);
    expect(new Set(rows.map((r) => r.correlationId)).size).toBe(1);
    for (const r of rows) expect(r.error).toMatch(/injected transient fault/);

    const gaps = rows.slice(1).map((r, i) => (Date.parse(r.startedAt) - Date.parse(rows[i]!.startedAt)) / 1000);
    console.log(`[retries] gaps between attempts (s): ${gaps.map((g) => g.toFixed(2)).join(", ")} (expected ≈ ${gaps.map((_, i) => BASE_S * 2 ** i).join(", ")} ± 20% + polling)`);
    gaps.forEach((gap, i) => {
      const expected = BASE_S * 2 ** i;
      expect(gap).toBeGreaterThanOrEqual(Math.round(expected * 0.8) - 0.3);
      expect(gap).toBeLessThanOrEqual(expected * 1.2 + 2);
    });
    expect(gaps[gaps.length - 1]!).toBeGreaterThan(gaps[0]! + 0.5);

    const dlq = await waitFor(async () => {
      const d = await deadLetters(id);
      return d.length > 0 ? d : undefined;
    }, 10_000);
    expect(dlq).toHaveLength(1);
    const attrs = dlq[0]!.MessageAttributes ?? {};
    expect(attrs.task?.StringValue).toBe("ingestion");
    expect(attrs.attempts?.StringValue).toBe(String(attempts));
    expect(attrs.error?.StringValue).toMatch(/injected transient fault/);
    expect(Date.parse(attrs.failedAt?.StringValue ?? "")).toBeGreaterThanOrEqual(Date.parse(rows[attempts - 1]!.startedAt));
    // The original event travels unchanged, so a replay is the same trigger.
    const body = JSON.parse(dlq[0]!.Body ?? "{}") as { "detail-type": string; detail: { meta: { correlationId: string } } };
    expect(body["detail-type"]).toBe("ingestion.requested");
    expect(body.detail.meta.correlationId).toBe(rows[0]!.correlationId);

    // No attempt beyond the budget, even after the longest backoff would have elapsed.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await ingestionLedger(id)).toHaveLength(attempts);
  });
});
