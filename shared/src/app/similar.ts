/**
 * "More like this": the resources nearest by meaning to one resource, by
 * their document vectors (app/documentVectors.ts), without the resource itself
 * and without exact duplicates of it (same content hash).
 *
 * Cached like search (docs/caching.md, "Search results"): recorded in the
 * result registry with the resources it shows (a change to one of them
 * invalidates it), tagged `search:similar` (every vector write invalidates
 * it: any re-embedded resource may come closer) and `search:text`
 * (deletions).
 */
import { eq, inArray } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { NotFoundError } from "../errors";
import { roundScore } from "../domain/ranking";
import type { AppContext } from "./context";
import { nearest, storedVector } from "./documentVectors";
import { cachedSearchResult } from "./search";
import { SearchTags, shownDigest } from "./searchCaching";
import { showHits } from "./searchSnippets";

export interface SimilarItem {
  id: string;
  title: string | null;
  score: number;
  url: string | null;
  path: string | null;
}

export interface Similar {
  id: string;
  items: SimilarItem[];
}

export async function similarTo(ctx: AppContext, id: string, limit: number): Promise<Similar> {
  const source = await ctx.store.db.query.resources.findFirst({ columns: { id: true, contentHash: true }, where: eq(resources.id, id) });
  if (!source) throw new NotFoundError(`resource ${id}`);
  return cachedSearchResult(ctx, `similar|${id}|${limit}`, [SearchTags.text, SearchTags.similar], async () => {
    const vector = await storedVector(ctx, id);
    if (!vector) return { value: { id, items: [] }, shown: [] };
    // Ask for a few more: the resource itself and its duplicates come back too.
    const candidates = await nearest(ctx, vector, limit + 10);
    const hashes = await contentHashes(ctx, candidates.map((c) => c.id));
    const kept = candidates.filter((c) => c.id !== id && (source.contentHash === null || hashes.get(c.id) !== source.contentHash)).slice(0, limit);
    const shown = await showHits(ctx, "", kept.map((c) => ({ id: c.id, score: c.score, via: "vector" as const })));
    const items = shown.map((hit) => ({ id: hit.id, title: hit.title, score: roundScore(hit.score), url: hit.url, path: hit.path }));
    return { value: { id, items }, shown: shown.map((hit) => ({ id: hit.id, via: "vector" as const, digest: shownDigest(hit, true) })) };
  });
}

async function contentHashes(ctx: AppContext, ids: readonly string[]): Promise<Map<string, string | null>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.store.db.select({ id: resources.id, hash: resources.contentHash }).from(resources).where(inArray(resources.id, [...ids]));
  return new Map(rows.map((r) => [r.id, r.hash]));
}
