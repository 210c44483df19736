/**
 * Ordering (requirement 15.3; docs/ordering.md): tasks that need another
 * task's output do not rely on queue order. Classification woken before the
 * content exists does nothing and is woken again by `embedding.generated`;
 * a profile refresh uses only resources that are already embedded.
 *
 * The "slow" document is served by a real HTTP server on 127.0.0.1 that
 * answers after a few seconds, so ingestion is still running when the other
 * tasks wake. Every route is instant (no delays), which is the harshest order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";
import { startLocalServer, type LocalServer } from "../../helpers/localServer";
import { instantTimings } from "@shared/events/routing";
import { activeModel } from "@shared/app/classifierModels";
import { readLedger, type LedgerRow } from "../../helpers/taskLedger";

const SLOW_MS = 6_000;

let stack: TestStack;
let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer((_req, res) => {
    setTimeout(() => {
      res
        .writeHead(200, { "content-type": "text/plain; charset=utf-8" })
        .end("Compilers and type systems. A compiler translates source code; a type checker proves properties of programs before they run.");
    }, SLOW_MS);
  });
  stack = await startTestStack({ env: { ALLOW_PRIVATE_NETWORKS: "true" }, routeOverrides: instantTimings() });
  // Train the classifier up front: its first use is CPU-bound and would blur the timings.
  await activeModel(stack.app);
});
afterAll(async () => {
  await stack?.dispose();
  await server?.close();
});

/** The ledger of `subject` (one task's, or every task's), in the order the runs started. */
function ledger(subject: string, task?: string): Promise<LedgerRow[]> {
  return readLedger(stack.app.store, { resourceId: subject, ...(task ? { task } : {}), order: "started" });
}

async function storedVector(id: string): Promise<number[]> {
  const rs = await stack.app.store.client.execute({ sql: "SELECT vector_extract(vector) AS v FROM resource_embeddings WHERE resource_id = ?", args: [id] });
  return JSON.parse(String(rs.rows[0]!.v)) as number[];
}

describe("ordering by revision checks and follow-up events", () => {
  let embeddedId = "";
  let slowId = "";
  const user = `order-${Date.now()}`;

  it("classification woken before ingestion waits (skipped) and runs once the embedding is generated", async () => {
    const a = await api<{ id: string }>(stack, "POST", "/resources", { content: "Databases store rows in tables and answer SQL queries with indexes.", contentType: "text/plain" });
    embeddedId = a.body.id;
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${embeddedId}/status`)).body.upToDate, 30_000);

    const s = await api<{ id: string }>(stack, "POST", "/resources", { url: server.url("/slow") });
    expect(s.status).toBe(202);
    slowId = s.body.id;
    // resource.created wakes classification at once, long before the document has arrived.
    const waiting = await waitFor(async () => (await ledger(slowId, "classification")).find((r) => r.status === "skipped"), 10_000);
    expect(waiting.detail).toBe("waiting for ingested content");
    expect((await api<{ ingestion: { status: string } }>(stack, "GET", `/resources/${slowId}/status`)).body.ingestion.status).not.toBe("completed");
    expect((await ledger(slowId, "classification")).filter((r) => r.status === "succeeded")).toEqual([]);
  });

  it("refreshes a profile from embedded resources only, ignoring one that is not embedded yet", async () => {
    // Ten interactions while the slow resource is still being fetched: the 10th refreshes the profile.
    for (let i = 1; i <= 10; i++) {
      const res = await api(stack, "POST", "/interactions", { userId: user, resourceId: i === 5 ? slowId : embeddedId, type: "view" });
      expect(res.status).toBe(201);
    }
    const refresh = await waitFor(async () => (await ledger(user, "profile-refresh")).find((r) => r.status === "succeeded"), 15_000);
    const slowEmbedding = (await ledger(slowId, "embedding")).find((r) => r.status === "succeeded");
    // The refresh really ran before the slow resource had a vector (else this test proves nothing).
    if (slowEmbedding) expect(refresh.finishedAt! < slowEmbedding.startedAt).toBe(true);

    const profile = (await stack.app.store.client.execute({ sql: "SELECT vector, top_resource_ids FROM user_profiles WHERE user_id = ?", args: [user] })).rows[0]!;
    expect(JSON.parse(String(profile.top_resource_ids))).toEqual([embeddedId]);
    // One contributing resource: the profile is that resource's (unit) vector.
    const vector = JSON.parse(String(profile.vector)) as number[];
    const expected = await storedVector(embeddedId);
    const norm = Math.hypot(...expected);
    expect(vector).toHaveLength(expected.length);
    for (let i = 0; i < vector.length; i++) expect(vector[i]!).toBeCloseTo(expected[i]! / norm, 5);
  });

  it("ends with the slow resource classified after its embedding, once", async () => {
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${slowId}/status`)).body.upToDate, SLOW_MS + 30_000);
    // Ledger rows are group-committed a few milliseconds after the task's own transaction.
    await waitFor(async () => (await ledger(slowId, "classification")).some((r) => r.status === "succeeded"), 5_000);
    const rows = await ledger(slowId);
    // When the content was committed, and when the embedding was (both written in their transactions).
    const ingestedAt = String((await stack.app.store.client.execute({ sql: "SELECT ingested_at FROM resources WHERE id = ?", args: [slowId] })).rows[0]!.ingested_at);
    const generated = await stack.app.store.client.execute({ sql: "SELECT created_at FROM outbox WHERE name = 'embedding.generated' AND json_extract(payload, '$.resourceId') = ?", args: [slowId] });
    expect(generated.rows).toHaveLength(1);
    const embeddedAt = String(generated.rows[0]!.created_at);
    const embedded = rows.filter((r) => r.task === "embedding" && r.status === "succeeded");
    const classified = rows.filter((r) => r.task === "classification" && r.status === "succeeded");
    expect(embedded).toHaveLength(1);
    expect(classified).toHaveLength(1);
    expect(embedded[0]!.startedAt >= ingestedAt).toBe(true);
    expect(classified[0]!.startedAt >= embeddedAt).toBe(true);
    // Every classification attempt before the content existed was a no-op.
    const early = rows.filter((x) => x.task === "classification" && x.startedAt < ingestedAt);
    expect(early.length).toBeGreaterThan(0);
    for (const r of early) expect(r.status).toBe("skipped");

    const view = await api<{ categories: Array<{ source: string; confidence: number }>; contentRevision: number }>(stack, "GET", `/resources/${slowId}`);
    expect(view.body.categories.length).toBeGreaterThan(0);
    expect(view.body.categories.every((c) => c.source === "predicted" && c.confidence > 0)).toBe(true);
    const row = (await stack.app.store.client.execute({ sql: "SELECT classified_revision, content_revision FROM resources WHERE id = ?", args: [slowId] })).rows[0]!;
    expect(Number(row.classified_revision)).toBe(Number(row.content_revision));
  });
});
