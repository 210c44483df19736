/**
 * Search in one store (DESIGN.md §2.11): keyword = FTS5 BM25 over a safe query,
 * semantic = libSQL `vector_top_k`, hybrid = reciprocal rank fusion of both.
 * Results are cached under tags naming what they read (`SearchTags`), which
 * index and embedding writes invalidate.
 */
import { sql } from "drizzle-orm";
import { normalizeQuery, queryTokens, toFtsQuery } from "../domain/ftsQuery";
import { sha256 } from "../util/ids";
import type { AppContext } from "./context";

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

/**
 * What cached results depend on. Keyword results read only the FTS index (and
 * current titles); semantic and hybrid results also read vectors. The
 * search-index task invalidates `text`, the embedding task `vectors`, so a
 * re-embedding leaves cached keyword results alone.
 */
export const SearchTags = { text: "search:text", vectors: "search:vectors" } as const;
export const ALL_SEARCH_TAGS = [SearchTags.text, SearchTags.vectors];

function tagsFor(mode: SearchMode): string[] {
  return mode === "keyword" ? [SearchTags.text] : ALL_SEARCH_TAGS;
}

/** RRF constant: dampens the weight of top ranks (Cormack et al. use 60). */
const RRF_K = 60;
/** Candidates each ranker contributes to hybrid fusion, and the semantic search ceiling. */
const CANDIDATES = 100;

export async function search(ctx: AppContext, input: SearchInput, options: { count?: boolean } = {}): Promise<SearchResult> {
  const normalized = normalizeQuery(input.q);
  if (!normalized) return { results: [], total: 0 };
  if (options.count !== false) ctx.popularity?.queryRun(normalized, input.mode);
  const key = `${input.mode}|${input.limit}|${input.offset}|${normalized}`;
  const t0 = performance.now();
  const result = await ctx.cache.getOrLoad("search", key, () => runSearch(ctx, input), { tags: tagsFor(input.mode) });
  void ctx.emitter.emit("search.performed", { mode: input.mode, resultCount: result.results.length, tookMs: performance.now() - t0 });
  return result;
}

async function runSearch(ctx: AppContext, input: SearchInput): Promise<SearchResult> {
  if (input.mode === "keyword") return keywordSearch(ctx, input.q, input.limit, input.offset);
  if (input.mode === "semantic") return semanticSearch(ctx, input.q, input.limit, input.offset);
  return hybridSearch(ctx, input.q, input.limit, input.offset);
}

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
      SELECT f.resource_id AS id, r.title AS title,
             -bm25(resources_fts, 0.0, 8.0, 3.0, 1.0) AS score,
             snippet(resources_fts, 3, '[', ']', '…', 24) AS snippet
      FROM resources_fts f JOIN resources r ON r.id = f.resource_id
      WHERE resources_fts MATCH ${match}
      ORDER BY bm25(resources_fts, 0.0, 8.0, 3.0, 1.0)
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
  const vector = await embedQuery(ctx, q);
  const k = Math.min(CANDIDATES, offset + limit);
  const rows = await nearest(ctx, vector, k);
  const page = rows.slice(offset, offset + limit);
  const tokens = queryTokens(q);
  const snippets = await contentSnippets(ctx, page.map((r) => r.id), tokens);
  return {
    results: page.map((r) => ({ id: r.id, title: r.title, score: round(r.score), snippet: snippets.get(r.id) ?? "" })),
    total: rows.length < k ? rows.length : await embeddedCount(ctx),
  };
}

/** Resources nearest to `vector` by cosine similarity (score = 1 - distance). */
export async function nearest(ctx: AppContext, vector: number[], k: number): Promise<Array<{ id: string; title: string | null; score: number }>> {
  if (k <= 0) return [];
  // The DiskANN index is approximate: asking it for more neighbours than needed raises recall for the top k.
  const probe = Math.max(k * 4, 50);
  const json = JSON.stringify(vector);
  return ctx.store.db.all<{ id: string; title: string | null; score: number }>(sql`
    SELECT e.resource_id AS id, r.title AS title, 1 - vector_distance_cos(e.vector, vector32(${json})) AS score
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
  const want = Math.min(CANDIDATES, offset + limit + 20);
  const [kw, sem] = await Promise.all([keywordSearch(ctx, q, want, 0), semanticSearch(ctx, q, want, 0)]);
  const fused = new Map<string, { hit: SearchHit; score: number }>();
  const add = (hits: SearchHit[]) =>
    hits.forEach((hit, rank) => {
      const entry = fused.get(hit.id) ?? { hit, score: 0 };
      entry.score += 1 / (RRF_K + rank + 1);
      // Prefer the keyword snippet: it highlights the matched words.
      if (!entry.hit.snippet && hit.snippet) entry.hit = { ...entry.hit, snippet: hit.snippet };
      fused.set(hit.id, entry);
    });
  add(kw.results);
  add(sem.results);
  const ranked = [...fused.values()].sort((a, b) => b.score - a.score);
  return {
    results: ranked.slice(offset, offset + limit).map((e) => ({ ...e.hit, score: round(e.score) })),
    total: ranked.length,
  };
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

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
