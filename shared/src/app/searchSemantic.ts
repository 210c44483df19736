/**
 * Semantic ranking: documents by the mean of their best passages' cosine
 * similarities to the query vector (domain/ranking.ts `documentSimilarity`), over the vectors
 * of one embedder only (the serving one: app/embedderSwitch.ts), scanned in
 * memory (passageVectorIndex.ts).
 */
import { sql } from "drizzle-orm";
import type { AppContext } from "./context";
import { duplicateIds, filterCondition, hasFilters } from "./searchFilters";
import { nearestPassages } from "./passageVectorIndex";
import type { SearchFilters } from "./searchTypes";

export interface SemanticCandidate {
  id: string;
  /** The document's similarity (mean of its best passages' cosines, domain/ranking.ts `documentSimilarity`). */
  score: number;
  /** Which passage is the closest (-1: the title), and the content revision its vector was made from. */
  ordinal: number;
  contentRevision: number;
}

/** The `k` documents nearest to `vector` among those with vectors of `model` that pass the filters. */
export async function semanticRanking(ctx: AppContext, vector: readonly number[], model: string, filters: SearchFilters | undefined, k: number): Promise<SemanticCandidate[]> {
  if (k <= 0) return [];
  const allowed = hasFilters(filters) ? await passing(ctx, filters) : null;
  if (allowed || filters?.includeDuplicates) return nearestPassages(ctx.store, model, vector, k, allowed);
  // No other filter: scan everything, asking for enough more to make up for the near-duplicates left out.
  const hidden = await duplicateIds(ctx);
  if (hidden.size === 0) return nearestPassages(ctx.store, model, vector, k, null);
  const found = await nearestPassages(ctx.store, model, vector, k + hidden.size, null);
  return found.filter((c) => !hidden.has(c.id)).slice(0, k);
}

/** The candidate entry of one document, as semanticRanking would list it (null without vectors of `model`). */
export async function semanticCandidateOf(ctx: AppContext, vector: readonly number[], model: string, id: string): Promise<SemanticCandidate | null> {
  const [candidate] = await nearestPassages(ctx.store, model, vector, 1, new Set([id]));
  return candidate ?? null;
}

async function passing(ctx: AppContext, filters: SearchFilters | undefined): Promise<Set<string>> {
  const rows = await ctx.store.db.all<{ id: string }>(sql`SELECT r.id AS id FROM resources r WHERE ${filterCondition(filters)}`);
  return new Set(rows.map((r) => r.id));
}

/** Resources with vectors of `model` that pass the filters. */
export async function embeddedCount(ctx: AppContext, model: string, filters: SearchFilters | undefined): Promise<number> {
  const [row] = await ctx.store.db.all<{ n: number }>(sql`
    SELECT count(*) AS n FROM resources r
    WHERE EXISTS (SELECT 1 FROM passage_vectors v WHERE v.resource_id = r.id AND v.model = ${model}) AND ${filterCondition(filters)}`);
  return Number(row?.n ?? 0);
}
