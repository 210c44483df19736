/**
 * Semantic ranking: documents by their best passage's cosine similarity to
 * the query vector (domain/ranking.ts `documentSimilarity`), over the vectors
 * of one embedder only (the serving one: app/embedderSwitch.ts).
 */
import { sql } from "drizzle-orm";
import type { AppContext } from "./context";
import { filterCondition } from "./searchFilters";
import type { SearchFilters } from "./searchTypes";

export interface SemanticCandidate {
  id: string;
  /** Best passage's cosine similarity. */
  score: number;
  /** Which passage that is (-1: the title), and the content revision its vector was made from. */
  ordinal: number;
  contentRevision: number;
}

/**
 * Below this many vectors a full scan is cheap (about 1 µs per vector), exact
 * and deterministic; DiskANN is approximate and, after vectors are replaced,
 * can miss some neighbours entirely.
 */
export const EXACT_SCAN_LIMIT = 20_000;

/** The `k` documents nearest to `vector` among those with vectors of `model` that pass the filters. */
export async function semanticRanking(ctx: AppContext, vector: readonly number[], model: string, filters: SearchFilters | undefined, k: number): Promise<SemanticCandidate[]> {
  if (k <= 0) return [];
  const json = JSON.stringify(vector);
  const similarity = sql`1 - vector_distance_cos(v.vector, vector32(${json}))`;
  // SQLite takes the bare columns (ordinal, content_revision) from the row holding the max().
  const rows =
    (await vectorCount(ctx, model)) <= EXACT_SCAN_LIMIT
      ? await ctx.store.db.all<SemanticCandidate>(sql`
          SELECT v.resource_id AS id, v.ordinal AS ordinal, v.content_revision AS contentRevision, max(${similarity}) AS score
          FROM passage_vectors v JOIN resources r ON r.id = v.resource_id
          WHERE v.model = ${model} AND ${filterCondition(filters)}
          GROUP BY v.resource_id ORDER BY score DESC, v.resource_id LIMIT ${k}`)
      : await ctx.store.db.all<SemanticCandidate>(sql`
          SELECT v.resource_id AS id, v.ordinal AS ordinal, v.content_revision AS contentRevision, max(${similarity}) AS score
          FROM vector_top_k('passage_vectors_vector_idx', vector32(${json}), ${Math.max(k * 10, 200)}) AS t
          JOIN passage_vectors v ON v.id = t.id JOIN resources r ON r.id = v.resource_id
          WHERE v.model = ${model} AND ${filterCondition(filters)}
          GROUP BY v.resource_id ORDER BY score DESC, v.resource_id LIMIT ${k}`);
  return rows.map((r) => ({ id: r.id, score: Number(r.score), ordinal: Number(r.ordinal), contentRevision: Number(r.contentRevision) }));
}

/** The candidate entry of one document, as semanticRanking would list it (null without vectors of `model`). */
export async function semanticCandidateOf(ctx: AppContext, vector: readonly number[], model: string, id: string): Promise<SemanticCandidate | null> {
  const [row] = await ctx.store.db.all<SemanticCandidate>(sql`
    SELECT v.resource_id AS id, v.ordinal AS ordinal, v.content_revision AS contentRevision,
           max(1 - vector_distance_cos(v.vector, vector32(${JSON.stringify(vector)}))) AS score
    FROM passage_vectors v WHERE v.model = ${model} AND v.resource_id = ${id} GROUP BY v.resource_id`);
  return row ? { id: row.id, score: Number(row.score), ordinal: Number(row.ordinal), contentRevision: Number(row.contentRevision) } : null;
}

async function vectorCount(ctx: AppContext, model: string): Promise<number> {
  const [row] = await ctx.store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM passage_vectors WHERE model = ${model}`);
  return Number(row?.n ?? 0);
}

/** Resources with vectors of `model` that pass the filters. */
export async function embeddedCount(ctx: AppContext, model: string, filters: SearchFilters | undefined): Promise<number> {
  const [row] = await ctx.store.db.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM resources r
    WHERE EXISTS (SELECT 1 FROM passage_vectors v WHERE v.resource_id = r.id AND v.model = ${model}) AND ${filterCondition(filters)}`);
  return Number(row?.n ?? 0);
}
