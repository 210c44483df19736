/**
 * Keyword ranking: FTS5 BM25 over the query's content words, OR-ed, with
 * documents that match more of them first (domain/ftsQuery.ts says which
 * words count and why).
 */
import { sql, type SQL } from "drizzle-orm";
import { contentTerms, parseQuery, termExpression, type QueryTerm } from "../domain/ftsQuery";
import type { Scored } from "../domain/ranking";
import type { AppContext } from "./context";
import { filterCondition } from "./searchFilters";
import type { SearchFilters } from "./searchTypes";

/** BM25 with column weights (resource_id, title, description, body): a title match counts most. */
const BM25 = sql.raw("-bm25(resources_fts, 0.0, 8.0, 3.0, 1.0)");

/**
 * How much matching every content word is worth over matching one: the score
 * is BM25 × (COVERAGE_FLOOR + share of the content words matched). BM25 alone
 * lets one rare word outrank a page with all the others; a strict "all words"
 * finds nothing for most questions (docs/search.md has the measurements).
 */
const COVERAGE_FLOOR = 0.5;

/** Matches counted within the ranking's own statement; beyond this many, a count(*) of its own. */
const TOTAL_IN_PASS = 1000;

export interface KeywordRanking {
  /** Best first, at most the number asked for. */
  ranked: Scored[];
  /** Every matching resource (with the filters). */
  total: number;
  /** The ids of every match when the ranking's statement read them all (up to TOTAL_IN_PASS), else null. */
  everyMatch: string[] | null;
}

export function matchExpression(terms: readonly QueryTerm[]): string {
  return terms.map(termExpression).join(" OR ");
}

export async function keywordRanking(ctx: AppContext, q: string, filters: SearchFilters | undefined, limit: number, offset = 0): Promise<KeywordRanking> {
  const terms = contentTerms(parseQuery(q));
  if (terms.length === 0) return { ranked: [], total: 0, everyMatch: [] };
  // bm25() cannot share its statement with a window function (count(*) OVER ()), and a separate count
  // evaluates the MATCH a second time (as long as the ranking itself): the ranking reads up to
  // TOTAL_IN_PASS rows instead, counting them, and only a larger match set is counted apart.
  const window = Math.max(offset + limit, TOTAL_IN_PASS) + 1;
  const rows = await ctx.store.db.all<{ id: string; score: number }>(sql`
    SELECT f.resource_id AS id, ${scoreOf(terms)} AS score
    FROM resources_fts f JOIN resources r ON r.id = f.resource_id
    WHERE resources_fts MATCH ${matchExpression(terms)} AND ${filterCondition(filters)}
    ORDER BY score DESC, f.resource_id
    LIMIT ${window}`);
  const complete = rows.length < window;
  const total = complete ? rows.length : await keywordTotal(ctx, terms, filters);
  const ranked = rows.slice(offset, offset + limit).map((r) => ({ id: r.id, score: Number(r.score) }));
  return { ranked, total, everyMatch: complete ? rows.map((r) => r.id) : null };
}

/** The score keywordRanking gives resource `id` for `q`, or null when it does not match. */
export async function keywordScoreOf(ctx: AppContext, q: string, id: string): Promise<number | null> {
  const terms = contentTerms(parseQuery(q));
  if (terms.length === 0) return null;
  const [row] = await ctx.store.db.all<{ score: number }>(sql`
    SELECT ${scoreOf(terms)} AS score FROM resources_fts f
    WHERE resources_fts MATCH ${matchExpression(terms)} AND f.resource_id = ${id}`);
  return row ? Number(row.score) : null;
}

/** Which of `ids` match `q` (any content word). */
export async function keywordMatches(ctx: AppContext, q: string, ids: readonly string[]): Promise<Set<string>> {
  const terms = contentTerms(parseQuery(q));
  if (terms.length === 0 || ids.length === 0) return new Set();
  const rows = await ctx.store.db.all<{ id: string }>(sql`
    SELECT resource_id AS id FROM resources_fts
    WHERE resources_fts MATCH ${matchExpression(terms)} AND resource_id IN (${sql.join(ids.map((i) => sql`${i}`), sql`, `)})`);
  return new Set(rows.map((r) => r.id));
}

/** Every matching resource's id, for facet counts. */
export async function keywordMatchIds(ctx: AppContext, q: string, filters: SearchFilters | undefined): Promise<string[]> {
  const terms = contentTerms(parseQuery(q));
  if (terms.length === 0) return [];
  const rows = await ctx.store.db.all<{ id: string }>(sql`
    SELECT f.resource_id AS id FROM resources_fts f JOIN resources r ON r.id = f.resource_id
    WHERE resources_fts MATCH ${matchExpression(terms)} AND ${filterCondition(filters)}`);
  return rows.map((r) => r.id);
}

async function keywordTotal(ctx: AppContext, terms: readonly QueryTerm[], filters: SearchFilters | undefined): Promise<number> {
  const [row] = await ctx.store.db.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM resources_fts f JOIN resources r ON r.id = f.resource_id
    WHERE resources_fts MATCH ${matchExpression(terms)} AND ${filterCondition(filters)}`);
  return Number(row?.n ?? 0);
}

/** BM25 × (floor + share of content terms matched); each term's matches are one subquery SQLite evaluates once. */
function scoreOf(terms: readonly QueryTerm[]): SQL {
  if (terms.length === 1) return sql`${BM25} * ${COVERAGE_FLOOR + 1}`;
  const matched = sql.join(
    terms.map((t) => sql`(f.rowid IN (SELECT rowid FROM resources_fts WHERE resources_fts MATCH ${termExpression(t)}))`),
    sql` + `,
  );
  return sql`${BM25} * (${COVERAGE_FLOOR} + (${matched}) * 1.0 / ${terms.length})`;
}
