import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { headingForMeaning, isHeading, PASSAGE_WORDS, splitPassages, textsForMeaning, TITLE_ORDINAL } from "@shared/domain/passages";
import { cosine, documentSimilarity, fuseScores, KEYWORD_WEIGHT, PASSAGES_PER_DOCUMENT } from "@shared/domain/ranking";
import { SentencePieceTokenizer } from "@shared/adapters/embedders/sentenceEncoder/sentencePiece";

describe("passages", () => {
  const text = [
    "Data types limit what a table can store.",
    "5.4.1. Check Constraints",
    "A check constraint is the most generic constraint type.",
    "It allows you to specify a Boolean expression.",
    "## Not-Null Constraints",
    "A not-null constraint says a column must not be null.",
  ].join("\n\n");

  it("start a section at each heading and carry it", () => {
    const ps = splitPassages(text);
    expect(ps.map((p) => p.heading)).toEqual(["", "5.4.1. Check Constraints", "Not-Null Constraints"]);
    expect(ps[1]!.text).toContain("Boolean expression");
    expect(ps.map((p) => p.ordinal)).toEqual([0, 1, 2]);
  });

  it("never lose text and stay within the size (property)", () => {
    const sentence = fc.array(fc.constantFrom("alpha", "beta", "gamma", "delta."), { minLength: 1, maxLength: 400 }).map((w) => w.join(" "));
    fc.assert(
      fc.property(fc.array(sentence, { minLength: 1, maxLength: 8 }), (blocks) => {
        const joined = blocks.join("\n\n");
        const ps = splitPassages(joined);
        const words = (s: string) => s.split(/\s+/).filter(Boolean);
        expect(ps.flatMap((p) => [...(p.heading ? words(p.heading) : []), ...words(p.text)])).toEqual(words(joined));
        for (const p of ps) expect(words(p.text).length <= PASSAGE_WORDS || !/[.!?]\s/.test(p.text)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  it("recognise headings and strip their numbers for the encoder", () => {
    expect(isHeading("Check Constraints")).toBe(true);
    expect(isHeading("This is a sentence.")).toBe(false);
    expect(isHeading("lower case words here")).toBe(false);
    expect(headingForMeaning("5.4.1. Check Constraints")).toBe("Check Constraints");
    expect(headingForMeaning("F.32. pg_stat_statements")).toBe("pg_stat_statements");
    expect(headingForMeaning("Chapter 5. Data Definition")).toBe("Data Definition");
    expect(headingForMeaning("Part III. Server Administration")).toBe("Server Administration");
    const texts = textsForMeaning("5.4. Constraints", splitPassages(text));
    expect(texts[0]).toEqual({ ordinal: TITLE_ORDINAL, text: "Constraints" });
    expect(texts[2]!.text.startsWith("Check Constraints. A check constraint")).toBe(true);
  });
});

describe("fusion", () => {
  const keyword = [{ id: "a", score: 10 }, { id: "b", score: 5 }, { id: "c", score: 1 }];
  const semantic = [{ id: "c", score: 0.6 }, { id: "d", score: 0.5 }, { id: "a", score: 0.3 }];

  it("adds each side's scaled part, keyword scaled by its best, semantic min-max", () => {
    const fused = Object.fromEntries(fuseScores(keyword, semantic).map((f) => [f.id, f.score]));
    expect(fused.a).toBeCloseTo(KEYWORD_WEIGHT * 1 + 0, 10);
    expect(fused.c).toBeCloseTo(KEYWORD_WEIGHT * 0.1 + (1 - KEYWORD_WEIGHT) * 1, 10);
    expect(fused.d).toBeCloseTo((1 - KEYWORD_WEIGHT) * (2 / 3), 10);
  });

  it("with no semantic side, keeps the keyword order; never depends on input order (property)", () => {
    expect(fuseScores(keyword, []).map((f) => f.id)).toEqual(["a", "b", "c"]);
    const scored = fc.array(fc.record({ id: fc.constantFrom("a", "b", "c", "d", "e", "f"), score: fc.double({ min: 0.01, max: 20, noNaN: true }) }), { maxLength: 6 }).map((xs) => [...new Map(xs.map((x) => [x.id, x])).values()]);
    fc.assert(
      fc.property(scored, scored, (k, s) => {
        expect(fuseScores([...k].reverse(), [...s].reverse())).toEqual(fuseScores(k, s));
      }),
    );
  });
});

describe("document similarity", () => {
  const q = [1, 0, 0];
  const at = (c: number) => [c, Math.sqrt(1 - c * c), 0];

  it("is the mean of the best passages' cosines, not the best one alone", () => {
    expect(PASSAGES_PER_DOCUMENT).toBe(3);
    // One passage near the query and nothing else about it loses to three fairly near ones.
    const oneHit = documentSimilarity(q, [at(0.9), at(0.1), at(0.1), at(0.1)]);
    const aboutIt = documentSimilarity(q, [at(0.7), at(0.7), at(0.7), at(0.1)]);
    expect(oneHit).toBeCloseTo((0.9 + 0.1 + 0.1) / 3, 6);
    expect(aboutIt).toBeCloseTo(0.7, 6);
    expect(aboutIt).toBeGreaterThan(oneHit);
    // Fewer vectors than that: the mean of those there are; none with a direction: NaN.
    expect(documentSimilarity(q, [at(0.5), at(0.3)])).toBeCloseTo(0.4, 6);
    expect(documentSimilarity(q, [[0, 0, 0]])).toBeNaN();
  });

  it("never depends on the order of the vectors (property)", () => {
    const vec = fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 });
    fc.assert(
      fc.property(fc.array(vec, { maxLength: 7 }), (vs) => {
        const a = documentSimilarity(q, vs);
        const b = documentSimilarity(q, [...vs].reverse());
        if (Number.isNaN(a)) expect(b).toBeNaN();
        else expect(b).toBeCloseTo(a, 12);
        const cosines = vs.map((v) => cosine(q, v)).filter((c) => !Number.isNaN(c)).sort((x, y) => y - x).slice(0, PASSAGES_PER_DOCUMENT);
        if (cosines.length > 0) expect(a).toBeCloseTo(cosines.reduce((s, c) => s + c, 0) / cosines.length, 12);
      }),
    );
  });
});

describe("SentencePiece tokenizer", () => {
  const vocab: Array<[string, number]> = [["<unk>", 0], ["<s>", 0], ["</s>", 0], ["x1", 0], ["x2", 0], ["x3", 0], ["▁", -2], ["▁ab", -1], ["a", -3], ["b", -3], ["▁a", -2], ["c", -5]];
  const t = new SentencePieceTokenizer(vocab);

  it("takes the most probable segmentation", () => {
    expect(t.encode("ab")).toEqual([7]); // ▁ab (-1) beats ▁a + b (-5)
    expect(t.encode("ab c")).toEqual([7, 6, 11]);
  });

  it("turns a run of unknown characters into one unknown token", () => {
    expect(t.encode("ab zzz")).toEqual([7, 6, 0]);
    expect(t.encode("")).toEqual([]);
  });
});
