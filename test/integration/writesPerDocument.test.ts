/**
 * Issue 14, "writers that don't fight": a document costs at most 8 write
 * transactions end to end (POST, every pipeline task, ledger rows, outbox
 * marks), counted by the store itself (`stats.writeTransactions`: every
 * BEGIN … COMMIT, a group commit once), through the real pipeline: the
 * in-process stack (API, outbox relay, fauxqs, pollers), no routing delays,
 * documents posted one after another like the `write-path` benchmark. Every
 * pipeline task still runs once per document (one ledger row each).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writerFromStack } from "@bench/lib/writeMeter";
import { api, startTestStack, type TestStack } from "../helpers/stack";
import { untilCurrent } from "../helpers/resourceStatus";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
});

async function ingestOne(text: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content: text, contentType: "text/markdown" });
  expect(res.status).toBe(202);
  await untilCurrent(stack, res.body.id, { intervalMs: 20 });
  return res.body.id;
}

const doc = (n: number) =>
  `# Field notes ${n}\n\nThe survey of the northern ridge, season ${n}, recorded ${n * 7} new specimens.\n\n` +
  `## Method\n\nEach transect was walked twice, at dawn and at dusk, and every find was photographed in place.\n\n` +
  `## Findings\n\nMost specimens came from the lower slopes; the upper meadow yielded few. See https://example.org/ridge/${n}.\n`;

describe("write transactions per document", () => {
  it("at most 8 per document through the whole pipeline, each task once per document", async () => {
    const { store } = stack.app;
    await ingestOne(doc(0));
    // Quiet time: the warm-up document's late bookkeeping is not counted.
    await new Promise((r) => setTimeout(r, 1_000));
    await store.flushGrouped();
    store.nameWriter = writerFromStack;
    const before = store.stats.snapshot().writeTransactions;
    const writersBefore = store.stats.byWriter();
    const ids: string[] = [];
    const documents = 4;
    try {
      for (let n = 1; n <= documents; n++) ids.push(await ingestOne(doc(n)));
      // The last document's bookkeeping (ledger rows, marks) lands after it is current: counted too.
      await new Promise((r) => setTimeout(r, 300));
      await store.flushGrouped();
    } finally {
      store.nameWriter = undefined;
    }
    const perDocument = (store.stats.snapshot().writeTransactions - before) / documents;
    const byWriter = Object.entries(store.stats.byWriter())
      .map(([who, c]) => `${who}: ${c.transactions - (writersBefore[who]?.transactions ?? 0)} tx, ${c.riders - (writersBefore[who]?.riders ?? 0)} rode`)
      .join("; ");
    expect(perDocument, `write transactions per document (${byWriter})`).toBeLessThanOrEqual(8);

    const rs = await store.client.execute({
      sql: `SELECT task, count(*) AS n FROM task_runs WHERE resource_id IN (${ids.map(() => "?").join(",")}) AND status = 'succeeded' GROUP BY task`,
      args: ids,
    });
    const runs = Object.fromEntries(rs.rows.map((r) => [String(r.task), Number(r.n)]));
    for (const task of ["ingestion", "search-index", "embedding", "quality", "classification", "graph-edges"]) expect(runs[task], task).toBe(documents);
  }, 120_000);
});
