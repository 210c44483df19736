import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createLocalEmbedder, embedLexically, LOCAL_EMBEDDER_ID } from "@shared/adapters/embedders/localEmbedder";
import { cosineSimilarity, emptyTextVector, l2Norm } from "@shared/domain/vectors";
import { hash32 } from "@shared/util/hash32";

const readme = (pkg: string): string => readFileSync(new URL(`../../../node_modules/${pkg}/README.md`, import.meta.url), "utf8");

describe("local lexical embedder", () => {
  it("is named honestly and has 512 dimensions", () => {
    const embedder = createLocalEmbedder();
    expect(embedder.id).toBe(LOCAL_EMBEDDER_ID);
    expect(embedder.id).toContain("lexical");
    expect(embedder.dimensions).toBe(512);
  });

  it("is deterministic: the same text gives bit-identical vectors", async () => {
    const embedder = createLocalEmbedder();
    const text = "Reciprocal rank fusion combines keyword and vector search results.";
    const [a, b] = await embedder.embed([text, text]);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    // Pinned values: a change of tokenizer, hash or weighting must be a deliberate id bump.
    expect(hash32("vector", 0)).toBe(1567756977);
    expect(hash32("vector", 1)).not.toBe(hash32("vector", 0));
    expect(Array.from(a!.slice(0, 8)).map((x) => Number(x.toFixed(6)))).toEqual([
      0, -0.046526, 0, 0, 0, 0.046526, 0, -0.046526,
    ]);
  });

  it("returns unit-length vectors for any input (property)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const v = embedLexically(text);
        expect(v).toHaveLength(512);
        expect(l2Norm(v)).toBeCloseTo(1, 5);
        expect(v.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("maps text without words to the fixed empty-text unit vector, never a zero vector", () => {
    const empty = embedLexically("");
    expect(Array.from(empty)).toEqual(Array.from(emptyTextVector(512)));
    expect(Array.from(embedLexically("  ...  !!! "))).toEqual(Array.from(empty));
    expect(l2Norm(empty)).toBeCloseTo(1, 5);
    // Empty text is neither close to nor far from a real document.
    const doc = embedLexically(readme("zod"));
    expect(Math.abs(cosineSimilarity(empty, doc))).toBeLessThan(0.2);
  });

  it("places paraphrases closer than unrelated sentences", () => {
    const cases: [string, string, string][] = [
      [
        "Photosynthesis in plant chloroplasts converts light energy into chemical energy stored as sugar.",
        "Chloroplasts let plants convert sunlight into chemical energy through photosynthesis.",
        "The central bank raised interest rates again to bring inflation back to its target.",
      ],
      [
        "The central bank raised interest rates to fight persistent inflation.",
        "Higher interest rates from the central bank aim to reduce inflation.",
        "Chloroplasts let plants convert sunlight into chemical energy through photosynthesis.",
      ],
      [
        "Binary search finds an element in a sorted array in logarithmic time.",
        "Searching a sorted array with binary search takes logarithmic time in its length.",
        "The orchestra performed the symphony with a new conductor last night.",
      ],
    ];
    for (const [anchor, paraphrase, unrelated] of cases) {
      const [a, p, u] = [anchor, paraphrase, unrelated].map((t) => embedLexically(t));
      expect(cosineSimilarity(a!, p!)).toBeGreaterThan(cosineSimilarity(a!, u!) + 0.2);
    }
  });

  it("finds a README from a passage of it among other READMEs", () => {
    const packages = ["zod", "vitest", "fast-check", "ioredis", "croner", "drizzle-orm", "esbuild", "debug"];
    const docs = packages.map((p) => ({ p, v: embedLexically(readme(p)) }));
    const passage = readme("ioredis").slice(3000, 4500);
    const q = embedLexically(passage);
    const ranked = [...docs].sort((x, y) => cosineSimilarity(q, y.v) - cosineSimilarity(q, x.v));
    expect(ranked[0]!.p).toBe("ioredis");
  });

  it("shares character n-grams across inflections", () => {
    const a = embedLexically("embedding");
    const b = embedLexically("embeddings");
    const c = embedLexically("orchestra");
    expect(cosineSimilarity(a, b)).toBeGreaterThan(0.6);
    expect(cosineSimilarity(a, c)).toBeLessThan(0.2);
  });
});
