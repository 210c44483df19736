/**
 * The local default embedder is a real sentence encoder (USE-lite, run by
 * TensorFlow.js in a worker thread), not a stub: it places a paraphrase nearer
 * to its sentence than to a distractor, gives the same vectors on every load,
 * and loads with no network at all.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSentenceEncoder, SENTENCE_ENCODER_DIMENSIONS } from "@shared/adapters/embedders/sentenceEncoder";
import { cosine } from "@shared/domain/ranking";
import { repoRoot } from "../../helpers/processes";

const encoder = createSentenceEncoder();
afterAll(async () => {
  await encoder.close();
});

/** [sentence, its paraphrase (few shared words), a distractor on another subject]. */
const PAIRS: Array<[string, string, string]> = [
  ["how do I make a column reject duplicate values", "ensure no two rows hold the same entry in a field", "the weather in paris is sunny today"],
  ["cancel a query that has been running too long", "stop a long-running statement", "store images inside the database"],
  ["save the whole database to a file for later restore", "back up all data so it can be recovered", "count the rows of each group"],
  ["the children are playing football in the park", "kids kick a ball around on the grass", "the stock market fell sharply this morning"],
  ["my laptop battery drains very fast", "the notebook computer loses charge quickly", "a recipe for chocolate cake"],
];

describe("sentence encoder (real model)", () => {
  it("places each paraphrase nearer to its sentence than the distractor", async () => {
    for (const [sentence, paraphrase, distractor] of PAIRS) {
      const [s, p, d] = await encoder.embed([sentence, paraphrase, distractor]);
      expect(s).toHaveLength(SENTENCE_ENCODER_DIMENSIONS);
      expect(cosine(s!, p!), `${sentence} / ${paraphrase}`).toBeGreaterThan(cosine(s!, d!) + 0.1);
    }
  });

  it("gives bit-identical vectors across loads and batch compositions", async () => {
    const texts = PAIRS.flat();
    const first = await encoder.embed(texts);
    const other = createSentenceEncoder();
    try {
      const again = await other.embed([...texts].reverse());
      again.reverse().forEach((v, i) => expect(Array.from(v)).toEqual(Array.from(first[i]!)));
      const alone = await other.embed([texts[3]!]);
      expect(Array.from(alone[0]!)).toEqual(Array.from(first[3]!));
    } finally {
      await other.close();
    }
    for (const v of first) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
  });

  it("serves concurrent calls in order: a call made after a long one finishes after it", async () => {
    // 40 texts of distinct token counts: 40 batches. One short text: one batch.
    const long = Array.from({ length: 40 }, (_, i) => `${"word ".repeat(i + 1)}number ${i}`);
    const finished: string[] = [];
    await Promise.all([
      encoder.embed(long).then(() => finished.push("long")),
      encoder.embed(["a short one"]).then(() => finished.push("short")),
    ]);
    // Batch by batch in turns, the short call finished after the long one's first batch.
    expect(finished).toEqual(["long", "short"]);
  });

  it("tokenizes with its own SentencePiece tokenizer and cuts long texts", () => {
    const ids = encoder.tokenize("Hello world");
    expect(ids.length).toBeGreaterThan(1);
    expect(ids.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    expect(encoder.tokenize("word ".repeat(500)).length).toBeLessThanOrEqual(32);
  });

  it("loads with no network (inside a network namespace without one)", () => {
    const r = spawnSync("unshare", ["--net", process.execPath, "--import", "tsx", path.join(repoRoot, "test/fixtures/search/embedOffline.ts")], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { connects: number; dimensions: number; head: number[] };
    expect(out.connects).toBe(0);
    expect(out.dimensions).toBe(SENTENCE_ENCODER_DIMENSIONS);
    expect(out.head.every(Number.isFinite)).toBe(true);
  });
});
