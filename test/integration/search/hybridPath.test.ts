/**
 * The hybrid search's faster path (issue 16) answers exactly what the path
 * before it answered, on a small library ingested through the real pipeline
 * (real encoder, libSQL, Redis): the query embedding now starts before the
 * keyword SQL, the vector scan has a SIMD pass, and the total reuses the
 * keyword ranking's own list of matches instead of asking FTS5 again. The
 * previous path is rebuilt here from its parts (the one-pass exact scan
 * included), and cached answers still follow a new resource.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANDIDATES, embedQuery, hybridSearch, keywordBesideEmbedding, search, searchUncached, type SearchFilters, type SearchResult } from "@shared/app/search";
import { servingEmbedder } from "@shared/app/embedderSwitch";
import { keywordMatches, keywordRanking } from "@shared/app/searchKeyword";
import { readAhead, showHits, type ToShow } from "@shared/app/searchSnippets";
import type { AppContext } from "@shared/app/context";
import { normalizeQuery, queryText } from "@shared/domain/ftsQuery";
import { fuseScores, KEYWORD_WEIGHT } from "@shared/domain/ranking";
import { exactScan, scanRow } from "@test/helpers/exactVectorScan";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";

const DOCS = [
  ["Unique constraints", "text/plain", "A unique constraint makes a column reject duplicate values.\n\nWhen two rows would hold the same value, the insert fails.\n\nIndexes back unique constraints."],
  ["Backups", "text/markdown", "# Backups\n\nDump the database to a file regularly.\n\n## Restoring\n\nA dump can be restored on another server after a disk failure."],
  ["Vacuuming", "text/plain", "Vacuum reclaims the storage taken by deleted rows.\n\nRun it regularly so that tables do not grow without end."],
  ["Indexes", "text/markdown", "# Indexes\n\nAn index speeds up lookups of rows by a column.\n\n## Costs\n\nEvery index slows inserts and updates a little and takes disk space."],
  ["Transactions", "text/plain", "A transaction groups statements so that they all happen or none does.\n\nIsolation levels say what concurrent transactions see of each other."],
  ["Replication", "text/markdown", "# Replication\n\nA standby server follows the primary by replaying its write-ahead log.\n\n## Failover\n\nWhen the primary fails, the standby can be promoted."],
  ["Weather", "text/plain", "The weather in Paris is sunny with a light breeze. Rain is expected tomorrow evening."],
  ["Rows and columns", "text/plain", "A table holds rows; each row has a value for every column.\n\nColumns have types; a value of the wrong type is rejected on insert."],
] as const;

const QUERIES = [
  "how do I make a column unique",
  "restore a dump after a disk failure",
  "what does vacuum do with deleted rows",
  "promote the standby when the primary fails",
  "rows columns values insert",
  "is it going to rain",
];

let stack: TestStack;
let ctx: AppContext;

beforeAll(async () => {
  stack = await startTestStack();
  ctx = stack.app;
  const ids: string[] = [];
  for (const [title, contentType, content] of DOCS) {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { title, contentType, content });
    expect(res.status).toBe(202);
    ids.push(res.body.id);
  }
  for (const id of ids) await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 60_000);
}, 120_000);
afterAll(async () => {
  await stack?.dispose();
});

/** The hybrid search as composed before issue 16: keyword ranking and embedding together, one exact scan, FTS5 asked for the total. */
async function previousHybrid(q: string, limit: number, offset: number, filters: SearchFilters = {}): Promise<SearchResult> {
  const normalized = normalizeQuery(q);
  const embedder = (await servingEmbedder(ctx))!;
  const [keyword, vector] = await Promise.all([keywordRanking(ctx, normalized, filters, Math.max(CANDIDATES, offset + limit)), embedQuery(ctx, embedder, queryText(normalized))]);
  const rows = (await ctx.store.client.execute({ sql: "SELECT resource_id, ordinal, content_revision, vector FROM passage_vectors WHERE model = ? ORDER BY id", args: [embedder.id] })).rows.map((r) =>
    scanRow(String(r.resource_id), Number(r.ordinal), Number(r.content_revision), new Float32Array((r.vector as ArrayBuffer).slice(0))),
  );
  const passing = await ctx.store.client.execute({
    sql: `SELECT id FROM resources WHERE duplicate_of IS NULL${filters.type ? " AND content_type = ?" : ""}`,
    args: filters.type ? [filters.type] : [],
  });
  const semantic = exactScan(rows, vector, CANDIDATES, new Set(passing.rows.map((r) => String(r.id))));
  const fused = fuseScores(keyword.ranked, semantic, KEYWORD_WEIGHT);
  const byKeyword = new Set(keyword.ranked.map((k) => k.id));
  const unranked = semantic.filter((c) => !byKeyword.has(c.id)).map((c) => c.id);
  const alsoKeyword = keyword.ranked.length < keyword.total ? await keywordMatches(ctx, normalized, unranked) : new Set<string>();
  const page = fused.slice(offset, offset + limit).map((f): ToShow => {
    const c = semantic.find((s) => s.id === f.id)!;
    return byKeyword.has(f.id) ? { ...f, via: "keyword" } : { ...f, via: "vector", passage: { ordinal: c.ordinal, contentRevision: c.contentRevision } };
  });
  return { results: await showHits(ctx, normalized, page), total: keyword.total + unranked.filter((id) => !alsoKeyword.has(id)).length };
}

describe("the hybrid's faster path", () => {
  it("answers what the previous path answered: same hits, scores, snippets and total", async () => {
    for (const q of QUERIES) {
      for (const [limit, offset, filters] of [
        [5, 0, {}],
        [3, 2, {}],
        [10, 0, { type: "text/markdown" }],
      ] as const) {
        const now = await hybridSearch(ctx, q, limit, offset, filters);
        expect(now, `${q} (limit ${limit}, offset ${offset}, ${JSON.stringify(filters)})`).toEqual(await previousHybrid(q, limit, offset, filters));
      }
    }
    // The queries did find something by both rankers.
    const sample = await hybridSearch(ctx, QUERIES[0]!, 8, 0);
    expect(sample.results.length).toBeGreaterThan(3);
  });

  it("lists every keyword match with the ranking, as FTS5 finds them one by one", async () => {
    const all = (await ctx.store.client.execute("SELECT id FROM resources")).rows.map((r) => String(r.id));
    for (const q of QUERIES.map(normalizeQuery)) {
      for (const filters of [{}, { type: "text/plain" }]) {
        // A ranking cut to 1: its list must still hold every match.
        const ranking = await keywordRanking(ctx, q, filters, 1);
        expect(ranking.everyMatch).not.toBeNull();
        expect(ranking.everyMatch!.length).toBe(ranking.total);
        const passing = new Set((await ctx.store.client.execute(filters.type ? { sql: "SELECT id FROM resources WHERE content_type = ?", args: [filters.type] } : "SELECT id FROM resources")).rows.map((r) => String(r.id)));
        const matching = await keywordMatches(ctx, q, all.filter((id) => passing.has(id)));
        expect(new Set(ranking.everyMatch)).toEqual(matching);
      }
    }
  });

  it("shows hits read ahead exactly as hits read after the fusion", async () => {
    let readAheadOnce = false;
    for (const q of QUERIES.map(normalizeQuery)) {
      // A query not embedded before (the cache would answer at once and nothing be read ahead).
      const { keyword, query, ahead } = await keywordBesideEmbedding(ctx, `${q} ${QUERIES.indexOf(q)}x`, {}, CANDIDATES, { offset: 0, limit: 2 });
      readAheadOnce ||= ahead !== undefined && ahead.ids.size > 0;
      expect(query).not.toBeNull();
      // Two hits read ahead, the rest (keyword and by meaning) read with the page.
      const early = await readAhead(ctx, q, keyword.ranked.slice(0, 2).map((k) => k.id));
      const page: ToShow[] = [...keyword.ranked.slice(0, 4).map((k) => ({ ...k, via: "keyword" as const }))];
      const [byMeaning] = (await ctx.store.client.execute({ sql: "SELECT resource_id, ordinal, content_revision FROM passage_vectors WHERE resource_id NOT IN (SELECT value FROM json_each(?)) LIMIT 1", args: [JSON.stringify(page.map((p) => p.id))] })).rows;
      if (byMeaning) page.push({ id: String(byMeaning.resource_id), score: 0.5, via: "vector", passage: { ordinal: Number(byMeaning.ordinal), contentRevision: Number(byMeaning.content_revision) } });
      expect(await showHits(ctx, q, page, early)).toEqual(await showHits(ctx, q, page));
    }
    expect(readAheadOnce).toBe(true);
  });

  it("keeps cached hybrid answers in step with a new resource", async () => {
    const q = "archive ledger of the catalog volumes";
    const input = { q, mode: "hybrid" as const, limit: 5, offset: 0 };
    const before = await search(ctx, input, { count: false });
    expect(await search(ctx, input, { count: false })).toEqual(before);
    const res = await api<{ id: string }>(stack, "POST", "/resources", { title: "Ledgers", contentType: "text/plain", content: "The archive keeps every ledger among the catalog volumes." });
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${res.body.id}/status`)).body.upToDate, 60_000);
    const after = await waitFor(async () => {
      const cached = await search(ctx, input, { count: false });
      return cached.results[0]?.id === res.body.id ? cached : undefined;
    });
    expect(after).toEqual(await searchUncached(ctx, input));
    expect(after.total).toBe(before.total + 1);
  });
});
