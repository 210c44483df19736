/**
 * Issue 2's acceptance check: 30 real documents posted through the API all
 * become current, and each is found in the top 3 of hybrid search by a rare
 * phrase taken from it (three consecutive words that appear in no other
 * document of the set). Includes a real PDF sent as base64.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const README_PACKAGES = [
  "acorn", "ajv-formats", "avvio", "bintrees", "bowser", "chai", "convert-source-map", "cookie", "croner", "cross-spawn",
  "css-select", "debug", "detect-libc", "dom-serializer", "drizzle-orm", "es-module-lexer", "esrecurse", "expect-type", "fast-check", "fast-uri",
  "fastify", "fastq", "fdir", "fflate", "find-my-way", "flatted", "get-tsconfig", "htmlparser2", "ioredis",
];

interface Doc {
  label: string;
  body: Record<string, unknown>;
  text: string;
}

const docs: Doc[] = README_PACKAGES.map((p) => {
  const text = readFileSync(`node_modules/${p}/README.md`, "utf8");
  return { label: p, body: { content: text, contentType: "text/markdown" }, text: "" };
});
docs.push({
  label: "pdf",
  body: { content: readFileSync("test/fixtures/ingest/pdf/groff-meintro-p1-3.pdf").toString("base64"), contentType: "application/pdf" },
  text: "",
});

/** Whole words a reader would type: letter-only tokens of four letters or more (not pieces of "eyJ2ZXJzaW9u…" base64). */
function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).filter((w) => /^[a-z]{4,}$/.test(w));
}

/**
 * A rare phrase of `doc`, as a person would pick one: three consecutive words,
 * a sequence no other document contains, whose words are the least common
 * across the other documents.
 */
function rarePhrase(doc: string, others: string[]): string {
  const w = words(doc);
  const otherWords = others.map((o) => new Set(words(o)));
  const otherText = others.map((o) => words(o).join(" ")).join("\n");
  const df = (x: string) => otherWords.filter((set) => set.has(x)).length;
  let best: { phrase: string; score: number } | undefined;
  for (let i = 0; i + 3 <= w.length; i++) {
    const triple = w.slice(i, i + 3);
    const phrase = triple.join(" ");
    if (new Set(triple).size < 3 || otherText.includes(phrase)) continue;
    const score = triple.reduce((sum, x) => sum + df(x), 0);
    if (!best || score < best.score) best = { phrase, score };
  }
  if (!best) throw new Error("no rare phrase");
  return best.phrase;
}

let stack: TestStack;
const ids: string[] = [];

beforeAll(async () => {
  stack = await startTestStack();
  for (const d of docs) {
    const res = await api<{ id: string }>(stack, "POST", "/resources", d.body);
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
});
afterAll(async () => {
  await stack?.dispose();
});

describe("30 real documents", () => {
  it("all reach upToDate", async () => {
    expect(docs).toHaveLength(30);
    await waitFor(async () => {
      const states = await Promise.all(ids.map((id) => api<{ upToDate: boolean; ingestion: { status: string } }>(stack, "GET", `/resources/${id}/status`)));
      const failed = states.filter((s) => s.body.ingestion.status === "failed");
      if (failed.length) throw new Error(`${failed.length} failed ingestion`);
      return states.every((s) => s.body.upToDate);
    }, 180_000, 500);
  });

  it("finds each in the top 3 of hybrid search by a rare phrase from it", async () => {
    // Phrases come from each document's text as extracted (markup, link targets and image tags are not text).
    for (const [i, id] of ids.entries()) {
      docs[i]!.text = String((await stack.app.store.client.execute({ sql: "SELECT content FROM resources WHERE id = ?", args: [id] })).rows[0]!.content);
    }
    const misses: string[] = [];
    for (const [i, d] of docs.entries()) {
      const phrase = rarePhrase(d.text, docs.filter((_, j) => j !== i).map((o) => o.text));
      const res = await api<{ results: Array<{ id: string }> }>(stack, "GET", `/search?mode=hybrid&limit=3&q=${encodeURIComponent(phrase)}`);
      if (!res.body.results.map((r) => r.id).includes(ids[i]!)) misses.push(`${d.label}: "${phrase}"`);
    }
    expect(misses).toEqual([]);
  });
});
