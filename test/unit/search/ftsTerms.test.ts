/**
 * The terms FtsTerms reports must be exactly what FTS5 MATCH compares, or a
 * cached keyword result could miss its invalidation. Checked against a real
 * FTS5 table declared like `resources_fts` (its tokenize clause read from the
 * migration), with FtsTerms on the two connections the store has: a local
 * file (native client) and a libSQL server over HTTP (the web client Lambda
 * bundles use, against the Hrana stand-in), where every request may be a new
 * connection.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { createClient as createWebClient } from "@libsql/client/web";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FTS_TOKENIZE, FtsTerms } from "@shared/adapters/libsql/ftsTerms";
import { matchWords, toFtsQuery } from "@shared/domain/ftsQuery";
import { startLibsqlServerStandIn, type LibsqlServerStandIn } from "../../helpers/libsqlServerStandIn";

const migration = readFileSync(new URL("../../../shared/migrations/0001_search.sql", import.meta.url), "utf8");
const tokenizeClause = /CREATE VIRTUAL TABLE `resources_fts`[\s\S]*?tokenize = '([^']+)'/.exec(migration)?.[1];

const WORDS = ["running", "runs", "runner", "ran", "connection", "connected", "connects", "café", "cafe", "CAFÉS", "naïve", "naive", "happy", "happiness", "ties", "tying", "i", "is", "as", "x", "42", "universe", "university", "généralement", "generally", "Straße", "strasse", "日本語"];

let db: Client;
let dir: string;
let server: LibsqlServerStandIn;
const connections: Array<{ name: string; client: Pick<Client, "batch" | "close"> }> = [];
beforeAll(async () => {
  db = createClient({ url: ":memory:" });
  await db.execute(`CREATE VIRTUAL TABLE docs USING fts5(body, tokenize = '${tokenizeClause ?? "missing"}')`);
  dir = mkdtempSync(path.join(tmpdir(), "na-fts-terms-"));
  server = await startLibsqlServerStandIn({ file: path.join(dir, "remote.db") });
  connections.push({ name: "local file", client: createClient({ url: `file:${path.join(dir, "local.db")}` }) });
  connections.push({ name: "libSQL over HTTP", client: createWebClient({ url: server.url, authToken: server.authToken }) });
});
afterAll(async () => {
  for (const c of connections) c.client.close();
  db.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function matches(text: string, query: string): Promise<boolean> {
  await db.execute("DELETE FROM docs");
  await db.execute({ sql: "INSERT INTO docs (body) VALUES (?)", args: [text] });
  const match = toFtsQuery(query, "any");
  if (!match) return false;
  const rs = await db.execute({ sql: "SELECT count(*) AS n FROM docs WHERE docs MATCH ?", args: [match] });
  return Number(rs.rows[0]?.n) > 0;
}

it("FtsTerms uses the tokenizer the search index was created with", () => {
  expect(tokenizeClause).toBe(FTS_TOKENIZE);
});

describe.each(["local file", "libSQL over HTTP"])("FtsTerms on a %s", (name) => {
  let terms: FtsTerms;
  beforeAll(() => {
    const connection = connections.find((c) => c.name === name);
    if (!connection) throw new Error(`no connection ${name}`);
    terms = new FtsTerms(connection.client);
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

  it("keeps concurrent tokenizations apart", async () => {
    const texts = WORDS.map((w, i) => `${w} marker${i}`);
    const all = await Promise.all(texts.map((t) => terms.counts(t)));
    all.forEach((found, i) => expect([...found.keys()].filter((k) => k.startsWith("marker"))).toEqual([`marker${i}`]));
  });

  it("counts several texts in one call, each on its own", async () => {
    const [a, empty, b] = await terms.countsOf(["lighthouse keepers keep", "", "keeper of bees"]);
    expect(Object.fromEntries(a ?? [])).toEqual({ lighthous: 1, keeper: 1, keep: 1 });
    expect(empty?.size).toBe(0);
    expect(Object.fromEntries(b ?? [])).toEqual({ keeper: 1, of: 1, bee: 1 });
  });
});
