/**
 * Search in one store (DESIGN.md §2.11): keyword = FTS5 BM25 over a safe query,
 * semantic = libSQL `vector_top_k`, hybrid = reciprocal rank fusion of both.
 *
 * Results are cached so that a change invalidates only the results it can
 * alter (docs/caching.md, "Search results"): results carry a tag per query
 * term (an index update invalidates the terms whose counts changed), and are
 * recorded in `ctx.searchResults` with the resources they list and, for
 * vector results, the similarity a newcomer needs to enter them.
 */
import { sql } from "drizzle-orm";
import { normalizeQuery, queryTokens, toFtsQuery } from "../domain/ftsQuery";
import { fuseRanks, roundScore as round } from "../domain/ranking";
import type { LoadControl } from "../ports/cache";
import type { ResultDependency, ShownResource } from "../ports/resultRegistry";
import { sha256 } from "../util/ids";
import type { AppContext } from "./context";
import { searchKey, searchTags, shownDigest, type SearchKeyParts } from "./searchCaching";

export type SearchMode = "keyword" | "semantic" | "hybrid";

export interface SearchHit {
  id: string;
  title: string | null;
  score: number;
  snippet: string;
}

export interface SearchResult {
  results: SearchHit[];
  total: number;
}

export interface SearchInput {
  q: string;
  mode: SearchMode;
  limit: number;
  offset: number;
}

/** Candidates each ranker contributes to hybrid fusion, and the semantic search ceiling. */
const CANDIDATES = 100;

export async function search(ctx: AppContext, input: SearchInput, options: { count?: boolean } = {}): Promise<SearchResult> {
  const normalized = normalizeQuery(input.q);
  if (!normalized) return { results: [], total: 0 };
  if (options.count !== false) ctx.popularity?.queryRun(normalized, input.mode);
  const key = searchKey({ ...input, q: normalized });
  const t0 = performance.now();
  const tags = await searchTags(input.mode, normalized, ctx.store.terms);
  const result = await ctx.cache.getOrLoad("search", key, (control) => loadSearch(ctx, key, input, control), { tags });
  void ctx.emitter.emit("search.performed", { mode: input.mode, resultCount: result.results.length, tookMs: performance.now() - t0 });
  return result;
}

/**
 * Runs a search for the cache: reserved in the registry before it reads and
 * recorded after. Without a reservation the result is not cached, since no
 * writer could find it.
 */
async function loadSearch(ctx: AppContext, key: string, input: SearchInput, control: LoadControl): Promise<SearchResult> {
  const registry = ctx.searchResults;
  let token: string | null = null;
  if (registry) {
    token = await registry.reserve(key).catch(() => null);
    if (token === null) control.doNotStore();
  }
  const { result, dependency } = await searchWithDependency(ctx, input);
  // A failed record leaves the reservation, which every change counts as affected: still safe to cache.
  if (registry && token !== null) await registry.record(key, token, dependency).catch(() => undefined);
  return result;
}

/** BM25 with column weights (resource_id, title, description, body), higher is better. */
const KEYWORD_SCORE = sql.raw("-bm25(resources_fts, 0.0, 8.0, 3.0, 1.0)");
const KEYWORD_SNIPPET = sql.raw("snippet(resources_fts, 3, '[', ']', '…', 24)");

interface Row {
  id: string;
  title: string | null;
  score: number;
  snippet: string;
}

export async function keywordSearch(ctx: AppContext, q: string, limit: number, offset: number): Promise<SearchResult> {
  // Precise first (every word); if nothing matches, any word.
  for (const mode of ["all", "any"] as const) {
    const match = toFtsQuery(q, mode);
    if (!match) return { results: [], total: 0 };
    const [countRow] = await ctx.store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM resources_fts WHERE resources_fts MATCH ${match}`);
    const total = Number(countRow?.n ?? 0);
    if (total === 0) continue;
    const rows = await ctx.store.db.all<Row>(sql`
      SELECT f.resource_id AS id, r.title AS title, ${KEYWORD_SCORE} AS score, ${KEYWORD_SNIPPET} AS snippet
      FROM resources_fts f JOIN resources r ON r.id = f.resource_id
      WHERE resources_fts MATCH ${match}
      ORDER BY score DESC
      LIMIT ${limit} OFFSET ${offset}`);
    return { results: rows.map(toHit), total };
  }
  return { results: [], total: 0 };
}

export async function embedQuery(ctx: AppContext, q: string): Promise<number[]> {
  // Query vectors are cached like content vectors: by hash of the text.
  return ctx.cache.getOrLoad("embedding", `q:${ctx.embedder.id}:${sha256(q)}`, async () => {
    const [vector] = await ctx.embedder.embed([q]);
    return Array.from(vector ?? []);
  });
}

export async function semanticSearch(ctx: AppContext, q: string, limit: number, offset: number): Promise<SearchResult> {
  return (await semanticWithDependency(ctx, q, limit, offset)).result;
}

interface WithDependency {
  result: SearchResult;
  dependency: ResultDependency;
}

function searchWithDependency(ctx: AppContext, { q, mode, limit, offset }: SearchInput): Promise<WithDependency> {
  if (mode === "keyword") return keywordWithDependency(ctx, q, limit, offset);
  if (mode === "semantic") return semanticWithDependency(ctx, q, limit, offset);
  return hybridWithDependency(ctx, q, limit, offset);
}

async function keywordWithDependency(ctx: AppContext, q: string, limit: number, offset: number): Promise<WithDependency> {
  const result = await keywordSearch(ctx, q, limit, offset);
  return { result, dependency: { shown: result.results.map((hit) => shownAs(hit, "keyword", true)) } };
}

async function semanticWithDependency(ctx: AppContext, q: string, limit: number, offset: number): Promise<WithDependency> {
  const vector = await embedQuery(ctx, q);
  const k = Math.min(CANDIDATES, offset + limit);
  const rows = await nearest(ctx, vector, k);
  const page = rows.slice(offset, offset + limit);
  const snippets = await contentSnippets(ctx, page.map((r) => r.id), queryTokens(q));
  const result = {
    results: page.map((r) => ({ id: r.id, title: r.title, score: round(r.score), snippet: snippets.get(r.id) ?? "" })),
    total: rows.length < k ? rows.length : await embeddedCount(ctx),
  };
  return {
    result,
    dependency: {
      shown: result.results.map((hit) => shownAs(hit, "vector", true)),
      vector: { query: vector, candidates: rows.map((r) => ({ id: r.id, score: r.score })), wanted: k },
    },
  };
}

/** The stored vector of a resource, if it has one. */
export async function storedVector(ctx: AppContext, id: string): Promise<number[] | undefined> {
  const [row] = await ctx.store.db.all<{ v: string }>(sql`SELECT vector_extract(vector) AS v FROM resource_embeddings WHERE resource_id = ${id}`);
  return row ? (JSON.parse(row.v) as number[]) : undefined;
}

/**
 * Below this many vectors a full scan is cheap (about 1 µs per vector), exact,
 * and deterministic; DiskANN is approximate and, after vectors are replaced,
 * can miss some neighbours entirely.
 */
export const EXACT_SCAN_LIMIT = 5_000;

/** Resources nearest to `vector` by cosine similarity (score = 1 - distance). */
export async function nearest(ctx: AppContext, vector: number[], k: number): Promise<Array<{ id: string; title: string | null; score: number }>> {
  if (k <= 0) return [];
  const json = JSON.stringify(vector);
  const score = sql`1 - vector_distance_cos(e.vector, vector32(${json}))`;
  if ((await embeddedCount(ctx)) <= EXACT_SCAN_LIMIT) {
    return ctx.store.db.all(sql`
      SELECT e.resource_id AS id, r.title AS title, ${score} AS score
      FROM resource_embeddings e JOIN resources r ON r.id = e.resource_id
      ORDER BY score DESC
      LIMIT ${k}`);
  }
  // The DiskANN index is approximate: asking it for more neighbours than needed raises recall for the top k.
  const probe = Math.max(k * 4, 50);
  return ctx.store.db.all(sql`
    SELECT e.resource_id AS id, r.title AS title, ${score} AS score
    FROM vector_top_k('resource_embeddings_vector_idx', vector32(${json}), ${probe}) AS t
    JOIN resource_embeddings e ON e.rowid = t.id
    JOIN resources r ON r.id = e.resource_id
    ORDER BY score DESC
    LIMIT ${k}`);
}

async function embeddedCount(ctx: AppContext): Promise<number> {
  const [row] = await ctx.store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM resource_embeddings`);
  return Number(row?.n ?? 0);
}

export async function hybridSearch(ctx: AppContext, q: string, limit: number, offset: number): Promise<SearchResult> {
  return (await hybridWithDependency(ctx, q, limit, offset)).result;
}

async function hybridWithDependency(ctx: AppContext, q: string, limit: number, offset: number): Promise<WithDependency> {
  const want = Math.min(CANDIDATES, offset + limit + 20);
  const [kw, semantic] = await Promise.all([keywordSearch(ctx, q, want, 0), semanticWithDependency(ctx, q, want, 0)]);
  const sem = semantic.result;
  // Prefer the keyword hit (its snippet highlights the matched words) unless it has no snippet.
  const hits = new Map<string, SearchHit>();
  for (const hit of [...kw.results, ...sem.results]) {
    const known = hits.get(hit.id);
    if (!known) hits.set(hit.id, hit);
    else if (!known.snippet && hit.snippet) hits.set(hit.id, { ...known, snippet: hit.snippet });
  }
  const keywordIds = kw.results.map((hit) => hit.id);
  const ranked = fuseRanks([keywordIds, sem.results.map((hit) => hit.id)]);
  const results = ranked.slice(offset, offset + limit).map(({ id, score }) => ({ ...hits.get(id)!, score: round(score) }));
  const byKeyword = new Set(keywordIds);
  const vector = semantic.dependency.vector;
  return {
    result: { results, total: ranked.length },
    // Fusion reads only ranks: with the keyword ranking recorded (term tags cover its changes),
    // a new vector's effect on the page can be computed exactly.
    dependency: {
      shown: results.map((hit) => shownAs(hit, byKeyword.has(hit.id) ? "keyword" : "vector", false)),
      vector: vector ? { ...vector, fusedWith: { keyword: keywordIds, offset, limit } } : undefined,
    },
  };
}

function shownAs(hit: SearchHit, via: ShownResource["via"], withScore: boolean): ShownResource {
  return { id: hit.id, via, digest: shownDigest(hit, withScore) };
}

/**
 * The digest of how the result cached under `key` would show resource
 * `shown.id` if it were computed now, assuming the ranks did not change (the
 * caller's other checks cover those); null when the resource would not be
 * shown that way at all. Uses the same queries and rules as the search.
 */
export async function shownDigestNow(ctx: AppContext, key: SearchKeyParts, shown: ShownResource): Promise<string | null> {
  const { mode, q } = key;
  if (shown.via === "keyword") {
    const hit = await keywordHitOf(ctx, q, shown.id);
    if (!hit) return null;
    if (mode === "keyword") return shownDigest(hit, true);
    // Hybrid: the keyword hit, with the snippet by meaning if it had none (as fusion does).
    const snippet = hit.snippet || ((await contentSnippets(ctx, [hit.id], queryTokens(q))).get(hit.id) ?? "");
    return shownDigest({ ...hit, snippet }, false);
  }
  const hit = await vectorHitOf(ctx, q, shown.id);
  return hit ? shownDigest(hit, mode === "semantic") : null;
}

/** Resource `id` as keywordSearch would list it for `q` (same match rule, score and snippet). */
async function keywordHitOf(ctx: AppContext, q: string, id: string): Promise<SearchHit | null> {
  for (const mode of ["all", "any"] as const) {
    const match = toFtsQuery(q, mode);
    if (!match) return null;
    const [anyMatch] = await ctx.store.db.all<{ n: number }>(sql`SELECT 1 AS n FROM resources_fts WHERE resources_fts MATCH ${match} LIMIT 1`);
    if (!anyMatch) continue;
    const [row] = await ctx.store.db.all<Row>(sql`
      SELECT f.resource_id AS id, r.title AS title, ${KEYWORD_SCORE} AS score, ${KEYWORD_SNIPPET} AS snippet
      FROM resources_fts f JOIN resources r ON r.id = f.resource_id
      WHERE resources_fts MATCH ${match} AND f.resource_id = ${id}`);
    return row ? toHit(row) : null;
  }
  return null;
}

/** Resource `id` as semanticSearch would list it for `q`. */
async function vectorHitOf(ctx: AppContext, q: string, id: string): Promise<SearchHit | null> {
  const json = JSON.stringify(await embedQuery(ctx, q));
  const [row] = await ctx.store.db.all<{ id: string; title: string | null; score: number }>(sql`
    SELECT e.resource_id AS id, r.title AS title, 1 - vector_distance_cos(e.vector, vector32(${json})) AS score
    FROM resource_embeddings e JOIN resources r ON r.id = e.resource_id
    WHERE e.resource_id = ${id}`);
  if (!row) return null;
  const snippet = (await contentSnippets(ctx, [id], queryTokens(q))).get(id) ?? "";
  return { id: row.id, title: row.title, score: round(row.score), snippet };
}

/** A window of text around the first query word, for results found by meaning. */
async function contentSnippets(ctx: AppContext, ids: string[], tokens: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (ids.length === 0) return out;
  const rows = await ctx.store.db.all<{ id: string; content: string | null }>(
    sql`SELECT id, substr(content, 1, 20000) AS content FROM resources WHERE id IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`,
  );
  for (const r of rows) out.set(r.id, snippetAround(r.content ?? "", tokens));
  return out;
}

export function snippetAround(text: string, tokens: string[], width = 160): string {
  const lower = text.toLowerCase();
  let at = -1;
  for (const t of tokens) {
    at = lower.indexOf(t);
    if (at >= 0) break;
  }
  const start = Math.max(0, at < 0 ? 0 : at - width / 2);
  const piece = text.slice(start, start + width).replace(/\s+/g, " ").trim();
  return (start > 0 ? "…" : "") + piece + (start + width < text.length ? "…" : "");
}

function toHit(r: Row): SearchHit {
  return { id: r.id, title: r.title, score: round(Number(r.score)), snippet: r.snippet ?? "" };
}

