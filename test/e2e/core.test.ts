/**
 * The core slice end to end over HTTP: a real document goes in through the
 * API and, with no further call, becomes current (ingested, embedded, indexed,
 * scored, classified) and is found by keyword, semantic and hybrid search.
 * Real libSQL file, real SQS (fauxqs) through the AWS SDK, real pollers.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, type TestStack } from "../helpers/stack";
import { untilCurrent } from "../helpers/resourceStatus";

interface Hits {
  results: Array<{ id: string; title: string | null; score: number; snippet: string }>;
  total: number;
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

const docs = [
  { file: "node_modules/zod/README.md", phrase: "TypeScript-first schema validation" },
  { file: "node_modules/ioredis/README.md", phrase: "robust, performance-focused" },
  { file: "node_modules/croner/README.md", phrase: "cron expressions" },
];

async function ingest(file: string): Promise<string> {
  const res = await api<{ id: string; status: string }>(stack, "POST", "/resources", { content: readFileSync(file, "utf8"), contentType: "text/markdown", source: file });
  expect(res.status).toBe(202);
  expect(res.body.status).toBe("pending");
  return res.body.id;
}

describe("ingest → event → queue → task → search", () => {
  const ids: string[] = [];

  it("brings every posted document up to date without further calls", async () => {
    for (const d of docs) ids.push(await ingest(d.file));
    for (const id of ids) {
      const status = await untilCurrent(stack, id);
      expect(Object.values(status.derived).every((d) => d.current)).toBe(true);
    }
    const resource = await api<{ title: string | null; quality: { score: number }; categories: Array<{ source: string; confidence: number }> }>(stack, "GET", `/resources/${ids[0]}`);
    expect(resource.body.title).toBeTruthy();
    expect(resource.body.quality.score).toBeGreaterThan(0);
    expect(resource.body.categories.length).toBeGreaterThan(0);
    expect(resource.body.categories.every((c) => c.source === "predicted" && c.confidence > 0 && c.confidence <= 1)).toBe(true);
  });

  it.each(["keyword", "semantic", "hybrid"] as const)("finds each document in the top 3 by a phrase from it (%s)", async (mode) => {
    for (const [i, d] of docs.entries()) {
      const res = await api<Hits>(stack, "GET", `/search?mode=${mode}&limit=3&q=${encodeURIComponent(d.phrase)}`);
      expect(res.status).toBe(200);
      expect(res.body.results.map((r) => r.id)).toContain(ids[i]);
    }
  });

  it("records every task execution in the ledger", async () => {
    const rows = await stack.app.store.client.execute({ sql: "SELECT task, status FROM task_runs WHERE resource_id = ?", args: [ids[0]!] });
    const tasks = new Set(rows.rows.filter((r) => r.status === "succeeded").map((r) => String(r.task)));
    for (const t of ["ingestion", "embedding", "search-index", "quality", "classification"]) expect(tasks).toContain(t);
  });
});

describe("hostile input", () => {
  const hostile = ["AND OR (", '"unbalanced', "NEAR(", "title:x", "*", "x".repeat(5000), "a\u0000b", ")))", "col:*^", "' OR 1=1 --"];

  it.each(["keyword", "semantic", "hybrid"])("never answers a hostile query with 5xx (%s)", async (mode) => {
    for (const q of hostile) {
      const res = await fetch(`${stack.url}/search?mode=${mode}&q=${encodeURIComponent(q)}`);
      expect(res.status, `q=${q.slice(0, 20)}`).toBeLessThan(500);
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expect((await res.json()).error).toBeTruthy();
    }
  });

  it("answers bad resource input with a 4xx naming the problem", async () => {
    const cases: Array<[unknown, number]> = [
      [{}, 400],
      [{ url: "not a url" }, 400],
      [{ url: "ftp://example.com/x" }, 400],
      [{ url: "https://example.com", content: "x" }, 400],
      [{ content: "x", contentType: "image/png" }, 400],
      [{ content: "x", extra: 1 }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await api<{ error: string }>(stack, "POST", "/resources", body);
      expect(res.status).toBe(status);
      expect(res.body.error).toMatch(/\w/);
    }
    const raw = await fetch(`${stack.url}/resources`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(raw.status).toBe(400);
    expect((await api(stack, "GET", "/resources/does-not-exist")).status).toBe(404);
    expect((await api(stack, "GET", "/nope")).status).toBe(404);
  });
});
