/**
 * Whole-document vectors (`resource_embeddings`: the normalised mean of a
 * resource's title and passage vectors) for "similar" and recommendations,
 * and a resource's passage vectors for cache checks. Always of one embedder:
 * the serving one (app/embedderSwitch.ts), so no ranking mixes two models.
 */
import { sql } from "drizzle-orm";
import type { AppContext } from "./context";
import { servingEmbedderId } from "./embedderSwitch";

/** The stored document vector of a resource (serving embedder), if it has one. */
export async function storedVector(ctx: AppContext, id: string): Promise<number[] | undefined> {
  const model = await servingEmbedderId(ctx);
  const [row] = await ctx.store.db.all<{ v: string }>(sql`SELECT vector_extract(vector) AS v FROM resource_embeddings WHERE resource_id = ${id} AND model = ${model}`);
  return row ? (JSON.parse(row.v) as number[]) : undefined;
}

/** The resource's title and passage vectors of `model`. */
export async function passageVectorsOf(ctx: AppContext, id: string, model: string): Promise<number[][]> {
  const rows = await ctx.store.db.all<{ v: string }>(sql`SELECT vector_extract(vector) AS v FROM passage_vectors WHERE resource_id = ${id} AND model = ${model} ORDER BY ordinal`);
  return rows.map((r) => JSON.parse(r.v) as number[]);
}

/**
 * Below this many documents a full scan is exact and cheap; DiskANN is
 * approximate (docs/caching.md, "What 'never stale' covers").
 */
export const EXACT_DOCUMENT_SCAN_LIMIT = 5_000;

/** Resources whose document vector is nearest to `vector` (cosine similarity, best first). */
export async function nearest(ctx: AppContext, vector: number[], k: number): Promise<Array<{ id: string; title: string | null; score: number }>> {
  if (k <= 0) return [];
  const model = await servingEmbedderId(ctx);
  const json = JSON.stringify(vector);
  const score = sql`1 - vector_distance_cos(e.vector, vector32(${json}))`;
  const [count] = await ctx.store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM resource_embeddings WHERE model = ${model}`);
  if (Number(count?.n ?? 0) <= EXACT_DOCUMENT_SCAN_LIMIT) {
    return ctx.store.db.all(sql`
      SELECT e.resource_id AS id, r.title AS title, ${score} AS score
      FROM resource_embeddings e JOIN resources r ON r.id = e.resource_id
      WHERE e.model = ${model}
      ORDER BY score DESC, e.resource_id
      LIMIT ${k}`);
  }
  // The DiskANN index is approximate: asking it for more neighbours than needed raises recall for the top k.
  return ctx.store.db.all(sql`
    SELECT e.resource_id AS id, r.title AS title, ${score} AS score
    FROM vector_top_k('resource_embeddings_vector_idx', vector32(${json}), ${Math.max(k * 4, 50)}) AS t
    JOIN resource_embeddings e ON e.rowid = t.id
    JOIN resources r ON r.id = e.resource_id
    WHERE e.model = ${model}
    ORDER BY score DESC, e.resource_id
    LIMIT ${k}`);
}
