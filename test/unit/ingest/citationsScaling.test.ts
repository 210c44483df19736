import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  extractCitations,
  MAX_CITATIONS_PER_DOCUMENT,
  trimTrailingPunctuation,
} from "@shared/ingest/citations";
import { referenceExtractCitations, referenceTrim } from "./citationsReference";

// Pieces that make the extractor's edge cases likely in short random texts.
const FRAGMENTS = [
  "https://", "http://", "HTTPS://", "example.org", "doi.org/", "arxiv.org/abs/", "/", "a", "Z", "-", "_",
  "doi:", "DOI: ", "10.1234/", "10.48550/", "arXiv:", "arxiv ", "2101.00001", "v2", "hep-th/9901001", "math.GT/0309136",
  "(", ")", "[", "]", "{", "}", ".", ",", ";", "!", "?", "\"", "'", "…", "”", " ", "  ", "\n", "<", ">", "#x", "?utm_source=y", "&", "=",
];
const text = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((parts) => parts.join(""));

/**
 * Median CPU milliseconds of `runs` calls. CPU time, not wall-clock: the
 * machine is shared, and waiting for a core is not the extractor's cost.
 */
function medianMs(run: () => void, runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)] ?? 0;
}

/** Ten times the input may take at most ~12 times as long (plus 50 ms for garbage collection and
 * timer noise on a shared machine; the quadratic code took seconds here). */
function expectLinear(build: (size: number) => string, size: number): void {
  const small = build(size);
  const large = build(size * 10);
  // Warm up the regexes and the JIT on both sizes first.
  for (let i = 0; i < 3; i += 1) {
    extractCitations(small);
    extractCitations(large);
  }
  const smallMs = medianMs(() => extractCitations(small));
  const largeMs = medianMs(() => extractCitations(large));
  expect(largeMs, `small ${smallMs.toFixed(1)} ms, large ${largeMs.toFixed(1)} ms`).toBeLessThanOrEqual(smallMs * 12 + 50);
}

describe("extractCitations in linear time", () => {
  it("finds exactly what the simple reference finds (random texts)", () => {
    fc.assert(
      fc.property(text, fc.array(text, { maxLength: 3 }), (input, links) => {
        expect(extractCitations(input, links)).toEqual(referenceExtractCitations(input, links));
      }),
      { numRuns: 2000 },
    );
  });

  it("trims trailing punctuation exactly as the simple reference does (random texts)", () => {
    fc.assert(
      fc.property(text, (input) => {
        expect(trimTrailingPunctuation(input)).toBe(referenceTrim(input));
      }),
      { numRuns: 2000 },
    );
  });

  it("scales linearly with the number of URLs", () => {
    expectLinear((n) => Array.from({ length: n }, (_, i) => `see https://example.org/p${i % 40} and`).join(" "), 1000);
  });

  it("scales linearly with a URL followed by a run of closing brackets", () => {
    expectLinear((n) => `https://example.org/a${")".repeat(n)} doi:10.1234/x${"]".repeat(n)}`, 2000);
  });

  it("scales linearly with 'arxiv' followed by a run of white space", () => {
    expectLinear((n) => `arxiv${" ".repeat(n)}x arXiv:${" ".repeat(n)}:`, 2000);
  });

  it(`keeps at most ${MAX_CITATIONS_PER_DOCUMENT} citations per document, the first ones`, () => {
    const many = Array.from({ length: MAX_CITATIONS_PER_DOCUMENT + 50 }, (_, i) => `https://example.org/p${i}`);
    const citations = extractCitations(many.slice(0, -10).join(" "), many.slice(-10));
    expect(citations).toHaveLength(MAX_CITATIONS_PER_DOCUMENT);
    expect(citations[0]?.value).toBe("https://example.org/p0");
    expect(citations.at(-1)?.value).toBe(`https://example.org/p${MAX_CITATIONS_PER_DOCUMENT - 1}`);
  });
});
