/**
 * How a search shows its hits: title, where the resource came from, and the
 * best passage as the snippet with the query's words in [brackets].
 *
 * - Found by keyword: the passage that matches the query best (BM25 over
 *   passages), cut to a window around its matches.
 * - Found by meaning: the passage whose vector was closest, as long as the
 *   indexed passages are of the revision that vector was made from;
 *   otherwise (the text changed and is not re-embedded yet) the first
 *   passage. Snippets are read from the indexed passages only, so a search
 *   never shows a passage of an older revision than the index holds.
 */
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { contentTerms, parseQuery } from "../domain/ftsQuery";
import { roundScore } from "../domain/ranking";
import type { AppContext } from "./context";
import { matchExpression } from "./searchKeyword";
import type { SearchHit } from "./searchTypes";

export interface ToShow {
  id: string;
  score: number;
  /** Which ranker's passage to show. */
  via: "keyword" | "vector";
  /** For hits found by meaning: the closest passage and the content revision of its vector. */
  passage?: { ordinal: number; contentRevision: number };
}

/** Tokens of context in a keyword snippet. */
const SNIPPET_TOKENS = 32;
/** Characters of a passage shown when it has no query word. */
const PLAIN_SNIPPET_CHARS = 240;

/**
 * What showing some resources as keyword hits needs, read before the page is
 * known (the hybrid reads its best keyword hits' while the query is being
 * embedded). Each resource's facts and keyword snippet depend on that
 * resource alone, so reading them ahead changes nothing shown.
 */
export interface ReadAhead {
  ids: ReadonlySet<string>;
  facts: ReadonlyMap<string, Facts>;
  keyword: ReadonlyMap<string, string>;
}

export async function readAhead(ctx: AppContext, q: string, ids: readonly string[]): Promise<ReadAhead> {
  if (ids.length === 0) return { ids: new Set(), facts: new Map(), keyword: new Map() };
  const [facts, keyword] = await Promise.all([resourceFacts(ctx, ids), keywordSnippets(ctx, q, ids)]);
  return { ids: new Set(ids), facts, keyword };
}

export async function showHits(ctx: AppContext, q: string, items: readonly ToShow[], ahead?: ReadAhead): Promise<SearchHit[]> {
  if (items.length === 0) return [];
  const known = (id: string) => ahead?.ids.has(id) ?? false;
  const [meta, byKeyword, byMeaning] = await Promise.all([
    resourceFacts(ctx, items.map((i) => i.id).filter((id) => !known(id))),
    keywordSnippets(ctx, q, items.filter((i) => i.via === "keyword" && !known(i.id)).map((i) => i.id)),
    meaningSnippets(ctx, q, items.filter((i) => i.via === "vector")),
  ]);
  return items.map((item) => {
    const m = known(item.id) ? ahead!.facts.get(item.id) : meta.get(item.id);
    const keywordSnippet = known(item.id) ? ahead!.keyword.get(item.id) : byKeyword.get(item.id);
    const snippet = (item.via === "keyword" ? keywordSnippet : byMeaning.get(item.id)) ?? m?.fallback ?? "";
    return { id: item.id, title: m?.title ?? null, score: roundScore(item.score), snippet, url: m?.url ?? null, path: m?.path ?? null, source: m?.source ?? null };
  });
}

interface Facts {
  title: string | null;
  url: string | null;
  path: string | null;
  source: string | null;
  /** Shown when no passage applies: the first passage, or the description. */
  fallback: string;
}

async function resourceFacts(ctx: AppContext, ids: readonly string[]): Promise<Map<string, Facts>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.store.db.all<{ id: string; title: string | null; url: string | null; source: string | null; description: string | null; first: string | null }>(sql`
    SELECT r.id AS id, r.title AS title, r.url AS url, r.source AS source, r.description AS description,
           (SELECT substr(pf.body, 1, ${PLAIN_SNIPPET_CHARS * 2}) FROM passages p JOIN passages_fts pf ON pf.rowid = p.id
            WHERE p.resource_id = r.id ORDER BY p.ordinal LIMIT 1) AS first
    FROM resources r WHERE r.id IN (${list(ids)})`);
  return new Map(
    rows.map((r) => [r.id, { title: r.title, url: r.url, path: localPath(r.url) ?? filePathSource(r.source), source: r.source, fallback: plainSnippet(r.first ?? r.description ?? "") }]),
  );
}

/**
 * The best-matching passage of each resource, as an FTS5 snippet. Two steps:
 * rank the matching passages of these resources (BM25 only), then cut
 * snippets from the one best passage each. The passages are reached from the
 * FTS5 match (CROSS JOIN keeps that order): constraining FTS5 by a rowid
 * list instead made it seek once per passage (~40 ms on 300 pages), and
 * snippet() over every matching passage cost as much again.
 */
async function keywordSnippets(ctx: AppContext, q: string, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const terms = contentTerms(parseQuery(q));
  if (ids.length === 0 || terms.length === 0) return out;
  const match = matchExpression(terms);
  const ranked = await ctx.store.db.all<{ id: string; rowid: number; score: number; ordinal: number }>(sql`
    SELECT p.resource_id AS id, f.rowid AS rowid, bm25(passages_fts, 4.0, 1.0) AS score, p.ordinal AS ordinal
    FROM passages_fts f CROSS JOIN passages p ON p.id = f.rowid
    WHERE passages_fts MATCH ${match} AND p.resource_id IN (${list(ids)})`);
  // Best first: lowest bm25() (FTS5's is negative), then the earliest passage.
  const best = new Map<string, { rowid: number; score: number; ordinal: number }>();
  for (const r of ranked) {
    const known = best.get(r.id);
    const score = Number(r.score);
    if (!known || score < known.score || (score === known.score && Number(r.ordinal) < known.ordinal)) best.set(r.id, { rowid: Number(r.rowid), score, ordinal: Number(r.ordinal) });
  }
  if (best.size === 0) return out;
  const byRowid = new Map([...best].map(([id, b]) => [b.rowid, id]));
  const rows = await ctx.store.db.all<{ rowid: number; snippet: string }>(sql`
    SELECT rowid, snippet(passages_fts, 1, '[', ']', '…', ${SNIPPET_TOKENS}) AS snippet FROM passages_fts
    WHERE passages_fts MATCH ${match} AND rowid IN (${list([...byRowid.keys()])})`);
  for (const r of rows) {
    const id = byRowid.get(Number(r.rowid));
    if (id !== undefined) out.set(id, r.snippet.replace(/\s+/g, " ").trim());
  }
  return out;
}

/** The passage each vector hit was found by, query words highlighted where it has them. */
async function meaningSnippets(ctx: AppContext, q: string, items: readonly ToShow[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = items.filter((i) => i.passage && i.passage.ordinal >= 0);
  if (wanted.length === 0) return out;
  const pairs = sql.join(
    wanted.map((i) => sql`(p.resource_id = ${i.id} AND p.ordinal = ${i.passage!.ordinal} AND p.content_revision = ${i.passage!.contentRevision})`),
    sql` OR `,
  );
  const passages = await ctx.store.db.all<{ rowid: number; id: string; body: string }>(sql`
    SELECT p.id AS rowid, p.resource_id AS id, pf.body AS body FROM passages p JOIN passages_fts pf ON pf.rowid = p.id WHERE ${pairs}`);
  if (passages.length === 0) return out;
  const terms = contentTerms(parseQuery(q));
  const highlighted = new Map<number, string>();
  if (terms.length > 0) {
    const rows = await ctx.store.db.all<{ rowid: number; text: string }>(sql`
      SELECT rowid, highlight(passages_fts, 1, '[', ']') AS text FROM passages_fts
      WHERE passages_fts MATCH ${matchExpression(terms)} AND rowid IN (${list(passages.map((p) => p.rowid))})`);
    for (const r of rows) highlighted.set(Number(r.rowid), r.text);
  }
  for (const p of passages) out.set(p.id, plainSnippet(highlighted.get(Number(p.rowid)) ?? p.body));
  return out;
}

/** A window of the text starting a little before its first highlighted word (or at the start). */
export function plainSnippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const mark = flat.indexOf("[");
  const start = mark > PLAIN_SNIPPET_CHARS / 3 ? flat.lastIndexOf(" ", mark - PLAIN_SNIPPET_CHARS / 3) + 1 : 0;
  let end = Math.min(flat.length, start + PLAIN_SNIPPET_CHARS);
  if (end < flat.length) end = Math.max(flat.lastIndexOf(" ", end), start + 1);
  let piece = flat.slice(start, end);
  // Never cut a highlight in half.
  if (piece.lastIndexOf("[") > piece.lastIndexOf("]")) piece = piece.slice(0, piece.lastIndexOf("["));
  return (start > 0 ? "…" : "") + piece.trim() + (end < flat.length ? "…" : "");
}

function localPath(url: string | null): string | null {
  if (!url?.startsWith("file:")) return null;
  try {
    return fileURLToPath(url);
  } catch {
    return null;
  }
}

/** Files added by content (the CLI) name their absolute path as the source. */
function filePathSource(source: string | null): string | null {
  return source && (source.startsWith("/") || /^[A-Za-z]:\\/.test(source)) ? source : null;
}

function list(values: ReadonlyArray<string | number>) {
  return sql.join(values.map((v) => sql`${v}`), sql`, `);
}
