/**
 * Near-duplicate fingerprints: the estimate follows the exact Jaccard
 * similarity, and on a labelled set from the PostgreSQL manual (bench/duplicates)
 * detection keeps precision and recall above their floors at the configured
 * threshold. A threshold moved far either way fails one of the floors.
 */
import { describe, expect, it } from "vitest";
import { bandKeys, bestMatch, DUPLICATE_THRESHOLD, estimatedSimilarity, exactSimilarity, fingerprintOf } from "@shared/domain/fingerprint";
import { buildLabelledSet } from "@bench/duplicates/labelledSet";
import { evaluateDuplicates } from "@bench/duplicates/evaluate";
import { seededRandom } from "../../helpers/seededRandom";

const words = (n: number, seed: number) => {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => `w${Math.floor(r() * 5000)}`).join(" ");
};

describe("fingerprint", () => {
  it("ignores case, punctuation and whitespace", () => {
    const a = fingerprintOf("Vacuum reclaims the storage taken by deleted rows. Run it regularly!");
    const b = fingerprintOf("  vacuum RECLAIMS the storage,\n\ntaken by deleted rows -- run it regularly ");
    expect(estimatedSimilarity(a.signature, b.signature)).toBe(1);
    expect(bandKeys(a.signature)).toEqual(bandKeys(b.signature));
  });

  it("estimates the Jaccard similarity of word shingles within 0.1", () => {
    const base = words(400, 1).split(" ");
    for (const changed of [10, 40, 100, 200]) {
      const edited = base.map((w, i) => (i % Math.floor(400 / changed) === 0 ? `x${i}` : w)).join(" ");
      const exact = exactSimilarity(base.join(" "), edited);
      const estimate = estimatedSimilarity(fingerprintOf(base.join(" ")).signature, fingerprintOf(edited).signature);
      expect(Math.abs(estimate - exact)).toBeLessThan(0.1);
    }
  });

  it("matches the most similar candidate at or above the threshold, and nothing below it", () => {
    const doc = fingerprintOf(words(300, 2));
    const unrelated = fingerprintOf(words(300, 3));
    const copy = fingerprintOf(`${words(300, 2)} and a short remark at the end`);
    expect(bestMatch(doc.signature, [{ id: "unrelated", signature: unrelated.signature }])).toBeNull();
    expect(bestMatch(doc.signature, [{ id: "unrelated", signature: unrelated.signature }, { id: "copy", signature: copy.signature }])?.id).toBe("copy");
  });

  it("keeps precision ≥ 95% and recall ≥ 88% on near-copies and siblings of PostgreSQL manual pages", { timeout: 120_000 }, async () => {
    const set = buildLabelledSet({ originals: 120, copies: 70, siblings: 80, seed: 7 });
    const [at] = await evaluateDuplicates(set, [DUPLICATE_THRESHOLD]);
    expect(at!.nearCopies).toBe(70);
    expect(at!.nonDuplicates).toBe(80);
    expect(at!.precision).toBeGreaterThanOrEqual(0.95);
    expect(at!.recall).toBeGreaterThanOrEqual(0.88);
  });
});
