import fc from "fast-check";
import { createClient } from "@libsql/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normalizeQuery, toFtsQuery } from "@shared/domain/ftsQuery";

const db = createClient({ url: ":memory:" });
beforeAll(async () => {
  await db.execute("CREATE VIRTUAL TABLE f USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2')");
  await db.execute({ sql: "INSERT INTO f VALUES (?, ?)", args: ["Near the title", "AND or NOT operators in a body"] });
});
afterAll(() => db.close());

describe("safe FTS5 queries", () => {
  it("turns operators, column filters and stray symbols into plain words", () => {
    expect(toFtsQuery('title:x AND (y OR "z', "all")).toBe('"title" "x" "y" "z"');
    expect(toFtsQuery("NEAR(")).toBe('"near"');
    expect(toFtsQuery("* ^ ( ) \u0000")).toBeNull();
    expect(toFtsQuery("cats dogs")).toBe('"cats" OR "dogs"');
    expect(normalizeQuery("  Hello,   WORLD! ")).toBe("hello world");
  });

  it("reads questions: stop words leave the match, unless nothing else is left", () => {
    expect(toFtsQuery("How do I make a column unique?")).toBe('"make" OR "column" OR "unique"');
    expect(toFtsQuery("to be or not to be")).toBe('"to" OR "be" OR "or" OR "not"');
    expect(normalizeQuery("How do I make a column UNIQUE?")).toBe("how do i make a column unique");
  });

  it("keeps phrases and prefixes as the only syntax", () => {
    expect(toFtsQuery('the "unique constraint" on index*')).toBe('"unique constraint" OR "index"*');
    expect(normalizeQuery('the "Unique  Constraint" on Index*')).toBe('the "unique constraint" on index*');
    expect(normalizeQuery(normalizeQuery('a "b c" d*'))).toBe(normalizeQuery('a "b c" d*'));
    expect(toFtsQuery('x* "unclosed phrase')).toBe('"x" OR "unclosed" OR "phrase"');
  });

  it("never makes MATCH fail, whatever the user typed (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), fc.constantFrom("all", "any") as fc.Arbitrary<"all" | "any">, async (text, mode) => {
        const q = toFtsQuery(text, mode);
        if (q === null) return;
        await db.execute({ sql: "SELECT count(*) FROM f WHERE f MATCH ?", args: [q] });
      }),
      { numRuns: 500 },
    );
  });

  it("still finds words that look like operators", async () => {
    const rs = await db.execute({ sql: "SELECT count(*) AS n FROM f WHERE f MATCH ?", args: [toFtsQuery("NOT operators")!] });
    expect(Number(rs.rows[0]!.n)).toBe(1);
  });
});
