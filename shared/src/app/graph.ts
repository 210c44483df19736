/** The citation graph around a resource, both directions, read through the cache. */
import { eq, sql } from "drizzle-orm";
import { citations } from "../adapters/libsql/schema";
import type { AppContext } from "./context";
import { loadResource } from "./resources";

export interface Neighbors {
  id: string;
  /** What this resource cites: linked to a resource when we have it, else external. */
  cites: Array<{ kind: string; value: string; resourceId: string | null; title: string | null }>;
  /** Resources that cite this one. */
  citedBy: Array<{ resourceId: string; title: string | null; kind: string; value: string }>;
}

export async function neighbors(ctx: AppContext, id: string): Promise<Neighbors> {
  return ctx.cache.getOrLoad(
    "neighbors",
    id,
    async () => {
      await loadResource(ctx, id);
      const out = await ctx.store.db.all<{ kind: string; value: string; resourceId: string | null; title: string | null }>(sql`
        SELECT c.kind AS kind, c.value AS value, c.target_id AS resourceId, r.title AS title
        FROM citations c LEFT JOIN resources r ON r.id = c.target_id
        WHERE c.source_id = ${id} ORDER BY (c.target_id IS NULL), c.kind, c.value LIMIT 500`);
      const inc = await ctx.store.db.all<{ resourceId: string; title: string | null; kind: string; value: string }>(sql`
        SELECT c.source_id AS resourceId, r.title AS title, c.kind AS kind, c.value AS value
        FROM citations c JOIN resources r ON r.id = c.source_id
        WHERE c.target_id = ${id} ORDER BY r.title LIMIT 500`);
      return { id, cites: out, citedBy: inc };
    },
    { tags: ["graph", `resource:${id}`] },
  );
}

export async function citationCount(ctx: AppContext, id: string): Promise<number> {
  const [row] = await ctx.store.db.select({ n: sql<number>`count(*)` }).from(citations).where(eq(citations.sourceId, id));
  return Number(row?.n ?? 0);
}
