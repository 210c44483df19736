/**
 * Issue 14, "each task once per revision": a bulk import of 40 real pages
 * (PostgreSQL manual, one POST /resources/batch) runs every derived task once
 * per document — the task ledger holds exactly one row per task and document,
 * not a second run (or a second "already current" skip) caused by two events
 * of the same revision reaching the same task.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@libsql/client";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const PG_DOC_DIR = "/usr/share/doc/postgresql-doc-15/html";
const DERIVED_TASKS = ["ingestion", "embedding", "search-index", "quality", "classification", "graph-edges"] as const;

/** 40 mid-sized manual pages (4–12 KB), in name order: real HTML, quick to process. */
function pages(): Array<{ name: string; html: string }> {
  return readdirSync(PG_DOC_DIR)
    .filter((f) => f.endsWith(".html"))
    .sort()
    .filter((f) => {
      const size = statSync(path.join(PG_DOC_DIR, f)).size;
      return size >= 4_000 && size <= 12_000;
    })
    .slice(0, 40)
    .map((name) => ({ name, html: readFileSync(path.join(PG_DOC_DIR, name), "utf8") }));
}

let stack: TestStack;
let ids: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  const items = pages().map((p) => ({ content: p.html, contentType: "text/html" }));
  expect(items).toHaveLength(40);
  const res = await api<{ batchId: string; items: Array<{ id: string }> }>(stack, "POST", "/resources/batch", { items });
  expect(res.status).toBe(202);
  ids = res.body.items.map((i) => i.id);
  await waitFor(async () => {
    const p = await api<{ complete: boolean; failed: number }>(stack, "GET", `/batches/${res.body.batchId}`);
    return p.body.complete;
  }, 240_000, 250);
}, 300_000);

afterAll(async () => {
  await stack?.dispose();
});

describe("bulk import of 40 pages", () => {
  it("runs each derived task once per document (ledger count per task = documents)", async () => {
    // Late duplicates would land after completion: give them time to show up.
    await new Promise((r) => setTimeout(r, 1_500));
    const client = createClient({ url: `file:${path.join(stack.dataDir, "alexandria.db")}` });
    try {
      const rs = await client.execute({
        // Requirement 2.7 queues classification when a resource is created, before its text exists:
        // that wake is recorded as "waiting for ingested content" and counted apart.
        sql: `SELECT task, count(*) AS n, count(DISTINCT resource_id) AS docs,
                sum(CASE WHEN detail = 'waiting for ingested content' THEN 1 ELSE 0 END) AS waits
              FROM task_runs WHERE resource_id IN (${ids.map(() => "?").join(",")}) GROUP BY task`,
        args: ids,
      });
      const counts = Object.fromEntries(rs.rows.map((r) => [String(r.task), { runs: Number(r.n) - Number(r.waits), documents: Number(r.docs), waits: Number(r.waits) }]));
      const measured = Object.fromEntries(DERIVED_TASKS.map((t) => [t, counts[t] ?? null]));
      const waits = (t: string) => (t === "classification" ? 40 : 0);
      expect(measured).toEqual(Object.fromEntries(DERIVED_TASKS.map((t) => [t, { runs: 40, documents: 40, waits: waits(t) }])));
    } finally {
      client.close();
    }
  });
});
