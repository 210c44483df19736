/**
 * The terms FtsTerms reports must be exactly what FTS5 MATCH compares, or a
 * cached keyword result could miss its invalidation. Checked against a real
 * FTS5 table declared like `resources_fts` (its tokenize clause read from the
 * migration).
 */
import { readFileSync } from "node:fs";
import { createClient, type Client } from "@libsql/client";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FTS_TOKENIZE, FtsTerms } from "../../../shared/src/adapters/libsql/ftsTerms";
import { matchWords, toFtsQuery } from "../../../shared/src/domain/ftsQuery";

const migration = readFileSync(new URL("../../../shared/migrations/0001_search.sql", import.meta.url), "utf8");
const tokenizeClause = /CREATE VIRTUAL TABLE `resources_fts`[\s\S]*?tokenize = '([^']+)'/.exec(migration)?.[1];

const WORDS = ["running", "runs", "runner", "ran", "connection", "connected", "connects", "café", "cafe", "CAFÉS", "naïve", "naive", "happy", "happiness", "ties", "tying", "i", "is", "as", "x", "42", "universe", "university", "généralement", "generally", "Straße", "strasse", "日本語"];

let terms: FtsTerms;
let db: Client;
beforeAll(async () => {
  terms = new FtsTerms();
  db = createClient({ url: ":memory:" });
  await db.execute(`CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = '${tokenizeClause ?? "missing"}')`);
});
afterAll(async () => {
  await terms.close();
  db.close();
});

async function matches(text: string, query: string): Promise<boolean> {
  await db.execute("DELETE FROM docs");
  await db.execute({ sql: "INSERT INTO docs (body) VALUES (?)", args: [text] });
  const match = toFtsQuery(query, "any");
  if (!match) return false;
  const rs = await db.execute({ sql: "SELECT count(*) AS n FROM docs WHERE docs MATCH ?", args: [match] });
  return Number(rs.rows[0]?.n) > 0;
}

describe("FtsTerms", () => {
  it("uses the tokenizer the search index was created with", () => {
    expect(tokenizeClause).toBe(FTS_TOKENIZE);
  });

  it("stems and folds like FTS5, and counts occurrences", async () => {
    const counts = await terms.counts("Running runners ran. Café naïve; run RUNS cafe");
    expect(Object.fromEntries(counts)).toEqual({ run: 3, runner: 1, ran: 1, cafe: 2, naiv: 1 });
    expect((await terms.counts("")).size).toBe(0);
    expect(await terms.ofQuery("connections")).toEqual(["connect"]);
  });

  it("a text matches a query exactly when it shares a term with the query's content words (property, real FTS5)", async () => {
    const word = fc.constantFrom(...WORDS);
    await fc.assert(
      fc.asyncProperty(fc.array(word, { minLength: 1, maxLength: 6 }), fc.array(word, { minLength: 1, maxLength: 3 }), async (textWords, queryWords) => {
        const text = textWords.join(" ");
        const query = queryWords.join(" ");
        const [textTerms, queryTerms] = await Promise.all([terms.counts(text), terms.ofQuery(matchWords(query).join(" "))]);
        const shared = queryTerms.some((t) => textTerms.has(t));
        expect(shared).toBe(await matches(text, query));
      }),
      { numRuns: 150 },
    );
  });

  it("serialises concurrent tokenizations", async () => {
    const texts = WORDS.map((w, i) => `${w} marker${i}`);
    const all = await Promise.all(texts.map((t) => terms.counts(t)));
    all.forEach((found, i) => expect([...found.keys()]).toContain(`marker${i}`));
  });
});
