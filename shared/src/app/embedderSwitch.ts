/**
 * Changing the embedder without downtime (docs/search.md, "Changing the
 * embedder").
 *
 * Every vector records the embedder that made it (its id includes the
 * version). Rankings read the vectors of ONE embedder, the serving one
 * (`search_state.serving_embedder`), and embed the query with it, so no
 * ranking ever compares vectors of two models. When the configured embedder
 * differs, the normal tasks re-embed each resource with it in the background
 * (the reconciler re-queues resources whose `embedded_model` is not the
 * configured one); both embedders' vectors coexist meanwhile, and search keeps
 * answering from the serving one. Once no resource is left, one transaction
 * makes the configured embedder the serving one and deletes the other
 * vectors; every cached vector result is then invalidated.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../adapters/libsql/store";
import type { Embedder } from "../ports/embedder";
import type { AppContext } from "./context";
import { invalidateNow } from "./resources";
import { SearchTags } from "./searchCaching";

const SERVING = "serving_embedder";

/** The embedder rankings use: the serving one, or the configured one when none serves yet. */
export async function servingEmbedderId(ctx: Pick<AppContext, "store" | "embedder">): Promise<string> {
  const [row] = await ctx.store.db.all<{ value: string }>(sql`SELECT value FROM search_state WHERE key = ${SERVING}`);
  return row?.value ?? ctx.embedder.id;
}

/** The serving embedder as an instance of this process, to embed queries with; null if this process cannot run it. */
export async function servingEmbedder(ctx: Pick<AppContext, "store" | "embedder" | "embedderById">): Promise<Embedder | null> {
  const id = await servingEmbedderId(ctx);
  if (id === ctx.embedder.id) return ctx.embedder;
  return ctx.embedderById?.(id) ?? null;
}

/** Inside the write of a resource's first vectors: the first embedder to write any serves. */
export async function claimServingIfUnset(tx: Tx, model: string): Promise<string> {
  await tx.run(sql`INSERT OR IGNORE INTO search_state (key, value) VALUES (${SERVING}, ${model})`);
  const [row] = await tx.all<{ value: string }>(sql`SELECT value FROM search_state WHERE key = ${SERVING}`);
  return row!.value;
}

export interface ReembeddingProgress {
  configured: string;
  serving: string;
  /** Ingested resources with text (what is embedded). */
  resources: number;
  /** Of those, how many have vectors of the configured embedder. */
  embeddedWithConfigured: number;
  remaining: number;
  /** Vectors kept per embedder (passages and titles). */
  vectorsByEmbedder: Record<string, number>;
}

export async function reembeddingProgress(ctx: Pick<AppContext, "store" | "embedder">): Promise<ReembeddingProgress> {
  const configured = ctx.embedder.id;
  const [counts] = await ctx.store.db.all<{ total: number; done: number }>(sql`
    SELECT count(*) AS total, coalesce(sum(embedded_model = ${configured}), 0) AS done
    FROM resources WHERE ingestion_status = 'completed' AND content_hash IS NOT NULL`);
  const models = await ctx.store.db.all<{ model: string; n: number }>(sql`SELECT model, count(*) AS n FROM passage_vectors GROUP BY model`);
  const total = Number(counts?.total ?? 0);
  const done = Number(counts?.done ?? 0);
  return {
    configured,
    serving: await servingEmbedderId(ctx),
    resources: total,
    embeddedWithConfigured: done,
    remaining: total - done,
    vectorsByEmbedder: Object.fromEntries(models.map((m) => [m.model, Number(m.n)])),
  };
}

/**
 * After a resource was embedded with the configured embedder: if that left no
 * resource to re-embed, the configured embedder serves from now on and the
 * other vectors go. Cheap when nothing is switching (one row read).
 * Returns whether it switched.
 */
export async function completeSwitchIfDone(ctx: AppContext, correlationId: string): Promise<boolean> {
  const configured = ctx.embedder.id;
  if ((await servingEmbedderId(ctx)) === configured && !(await hasOtherVectors(ctx, configured))) return false;
  const switched = await ctx.store.write(async (tx) => {
    const [left] = await tx.all<{ n: number }>(sql`
      SELECT count(*) AS n FROM resources
      WHERE ingestion_status = 'completed' AND content_hash IS NOT NULL AND embedded_model IS NOT ${configured}`);
    if (Number(left?.n ?? 0) > 0) return false;
    await tx.run(sql`INSERT OR REPLACE INTO search_state (key, value) VALUES (${SERVING}, ${configured})`);
    await tx.run(sql`DELETE FROM passage_vectors WHERE model != ${configured}`);
    await tx.run(sql`DELETE FROM resource_embeddings WHERE model != ${configured}`);
    return true;
  });
  // Every cached vector result was ranked with the old embedder.
  if (switched) await invalidateNow(ctx, [SearchTags.vectors, SearchTags.similar], correlationId);
  return switched;
}

async function hasOtherVectors(ctx: Pick<AppContext, "store">, model: string): Promise<boolean> {
  // Index range probes, not scans.
  const rows = await ctx.store.db.all(sql`
    SELECT 1 FROM passage_vectors WHERE model < ${model} OR model > ${model}
    UNION ALL SELECT 1 FROM resource_embeddings WHERE model < ${model} OR model > ${model} LIMIT 1`);
  return rows.length > 0;
}
