import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  QUALITY_DIMENSIONS,
  QUALITY_VERSION,
  QUALITY_WEIGHTS,
  analyseProse,
  citationRichness,
  computeQuality,
  contentDepth,
  englishSyllables,
  metadataCompleteness,
  outline,
  plateau,
  provenance,
  readability,
  structure,
} from "@shared/domain/quality";
import type { QualityInput } from "@shared/domain/quality";

const readme = (pkg: string): string => readFileSync(new URL(`../../../node_modules/${pkg}/README.md`, import.meta.url), "utf8");
const urlsIn = (text: string): number => (text.match(/https?:\/\/\S+/g) ?? []).length;

const bare: QualityInput = {
  title: null,
  description: null,
  authors: [],
  text: "",
  language: null,
  citationCount: 0,
  source: null,
  url: null,
  contentType: "text/plain",
};

const zodReadme = readme("zod");
const documented: QualityInput = {
  title: "Zod: TypeScript-first schema validation",
  description: "Zod is a TypeScript-first validation library with static type inference for schemas of any shape.",
  authors: ["Colin McDonnell"],
  text: zodReadme,
  language: "en",
  citationCount: urlsIn(zodReadme),
  source: "npm",
  url: "https://github.com/colinhacks/zod",
  contentType: "text/markdown",
};

/** A paragraph of encyclopedic prose (written for this test). */
const ENCYCLOPEDIC =
  "The printing press, developed in the fifteenth century, changed how knowledge travelled across Europe. " +
  "Books that once took months to copy by hand could be produced in days, and their price fell sharply. " +
  "Literacy spread beyond monasteries and courts, and scholars began to compare texts that were now identical " +
  "in every copy. Historians still debate how quickly these changes reached ordinary readers.";

describe("computeQuality", () => {
  it("weights sum to 1 and every dimension has a weight", () => {
    const total = QUALITY_DIMENSIONS.reduce((s, d) => s + QUALITY_WEIGHTS[d], 0);
    expect(total).toBeCloseTo(1, 10);
    expect(Object.keys(QUALITY_WEIGHTS).sort()).toEqual([...QUALITY_DIMENSIONS].sort());
  });

  it("scores a documented README well above a one-line stub, on every dimension", () => {
    const good = computeQuality(documented);
    const stub = computeQuality({ ...bare, title: "todo", text: "TODO: write the docs." });
    expect(good.version).toBe(QUALITY_VERSION);
    expect(good.score).toBeGreaterThan(0.75);
    expect(stub.score).toBeLessThan(0.15);
    for (const d of QUALITY_DIMENSIONS) expect(good.dimensions[d]).toBeGreaterThan(stub.dimensions[d]);
  });

  it("is the weighted sum of its dimensions", () => {
    const q = computeQuality(documented);
    const sum = QUALITY_DIMENSIONS.reduce((s, d) => s + QUALITY_WEIGHTS[d] * q.dimensions[d], 0);
    expect(q.score).toBeCloseTo(sum, 3);
  });

  it("a README that only points elsewhere (vitest's) scores lower on depth than a full one", () => {
    const pointer = readme("vitest");
    const full = readme("ioredis");
    expect(computeQuality({ ...bare, text: pointer }).dimensions.contentDepth).toBeLessThan(
      computeQuality({ ...bare, text: full }).dimensions.contentDepth - 0.5,
    );
  });

  it("every dimension and the score stay within 0..1 for arbitrary input (property)", () => {
    const input = fc.record({
      title: fc.option(fc.string(), { nil: null }),
      description: fc.option(fc.string(), { nil: null }),
      authors: fc.array(fc.string(), { maxLength: 3 }),
      text: fc.string({ maxLength: 2000 }),
      language: fc.option(fc.constantFrom("en", "fr", "de-DE", "xx", ""), { nil: null }),
      citationCount: fc.oneof(fc.integer({ min: -5, max: 500 }), fc.constant(Number.NaN)),
      source: fc.option(fc.string(), { nil: null }),
      url: fc.option(fc.oneof(fc.webUrl(), fc.string()), { nil: null }),
      contentType: fc.constantFrom("text/plain", "text/markdown", "text/html", "application/pdf"),
    });
    fc.assert(
      fc.property(input, (i) => {
        const q = computeQuality(i);
        expect(q.score).toBeGreaterThanOrEqual(0);
        expect(q.score).toBeLessThanOrEqual(1);
        for (const d of QUALITY_DIMENSIONS) {
          expect(Number.isFinite(q.dimensions[d])).toBe(true);
          expect(q.dimensions[d]).toBeGreaterThanOrEqual(0);
          expect(q.dimensions[d]).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("quality dimensions", () => {
  it("metadataCompleteness credits each field and half-credits a file name as title", () => {
    const none = { title: null, description: null, authors: [], language: null };
    expect(metadataCompleteness(none)).toBe(0);
    expect(metadataCompleteness({ ...none, title: "On Computable Numbers" })).toBeCloseTo(0.35);
    expect(metadataCompleteness({ ...none, title: "report-final.pdf" })).toBeCloseTo(0.175);
    expect(metadataCompleteness({ ...none, authors: ["  "] })).toBe(0);
    expect(
      metadataCompleteness({ title: "A title", description: "x".repeat(80), authors: ["A. Turing"], language: "en" }),
    ).toBeCloseTo(1);
  });

  it("contentDepth grows with length with diminishing returns and penalises stubs", () => {
    const d = [0, 10, 50, 100, 300, 1000, 1500, 10_000].map(contentDepth);
    for (let i = 1; i < d.length; i++) expect(d[i]!).toBeGreaterThanOrEqual(d[i - 1]!);
    expect(d[0]).toBe(0);
    expect(d[1]!).toBeLessThan(0.05);
    expect(d[6]).toBe(1);
    expect(d[7]).toBe(1);
    // Diminishing returns: 100 -> 300 words adds more than 1000 -> 1500.
    expect(d[4]! - d[3]!).toBeGreaterThan(d[6]! - d[5]!);
  });

  it("readability prefers ordinary prose to run-on or telegraphic text", () => {
    const prose = ENCYCLOPEDIC.repeat(3);
    const runOn = `${"word ".repeat(150)}end.`;
    const jargon = "Pneumonoultramicroscopicsilicovolcanoconiosis characteristically institutionalisation. ".repeat(40);
    const good = readability(analyseProse(prose), true);
    expect(good).toBeGreaterThan(0.8);
    expect(readability(analyseProse(runOn), true)).toBeLessThan(good - 0.3);
    expect(readability(analyseProse(jargon), true)).toBeLessThan(good - 0.3);
    // The same band logic without Flesch for other languages.
    expect(readability(analyseProse(prose), false)).toBeGreaterThan(0.8);
  });

  it("counts English syllables well enough for Flesch", () => {
    expect(englishSyllables("library")).toBe(3);
    expect(englishSyllables("knowledge")).toBe(2);
    expect(englishSyllables("table")).toBe(2);
    expect(englishSyllables("a")).toBe(1);
  });

  it("structure rewards paragraphs and headings, penalises a wall of text", () => {
    const para = ENCYCLOPEDIC;
    const structured = ["# Printing", para, "## Consequences", para, "## Debate", para, para, "## Legacy", para, para].join(
      "\n\n",
    );
    const wall = Array.from({ length: 7 }, () => para).join(" ").replace(/\n/g, " ");
    const words = (t: string) => analyseProse(t).words;
    expect(outline(structured).headings).toBe(4);
    expect(structure(structured, words(structured))).toBeGreaterThan(0.9);
    expect(structure(wall, words(wall))).toBeLessThan(0.7);
  });

  it("citationRichness needs both a rate and a count", () => {
    expect(citationRichness(0, 2000)).toBe(0);
    expect(citationRichness(1, 10)).toBeLessThan(0.5); // one link in a stub
    expect(citationRichness(20, 2000)).toBeGreaterThan(0.9);
    expect(citationRichness(40, 2000)).toBeGreaterThan(citationRichness(20, 2000));
  });

  it("provenance credits URL, TLS, source and persistent identifiers", () => {
    expect(provenance({ url: null, source: null, text: "" })).toBe(0);
    expect(provenance({ url: "http://example.org/a", source: null, text: "" })).toBeCloseTo(0.35);
    expect(provenance({ url: "https://example.org/a", source: null, text: "" })).toBeCloseTo(0.5);
    expect(provenance({ url: "file:///data/a.md", source: null, text: "" })).toBeCloseTo(0.15);
    expect(provenance({ url: "https://doi.org/10.1145/3318464.3380580", source: "ACM", text: "" })).toBe(1);
    expect(provenance({ url: null, source: null, text: "Preprint arXiv:2106.09685." })).toBeCloseTo(0.25);
  });

  it("plateau is 0 outside, 1 inside, linear between", () => {
    expect(plateau(5, 0, 10, 20, 30)).toBe(0.5);
    expect(plateau(15, 0, 10, 20, 30)).toBe(1);
    expect(plateau(25, 0, 10, 20, 30)).toBe(0.5);
    expect(plateau(-1, 0, 10, 20, 30)).toBe(0);
    expect(plateau(Number.NaN, 0, 10, 20, 30)).toBe(0);
  });
});
