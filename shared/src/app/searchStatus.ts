/** `/monitoring/search`: what the search index holds and which embedder serves it (re-embedding progress). */
import { sql } from "drizzle-orm";
import type { AppContext } from "./context";
import { reembeddingProgress, type ReembeddingProgress } from "./embedderSwitch";

export interface SearchIndexStatus {
  passages: number;
  resourcesWithPassages: number;
  embedders: ReembeddingProgress & { switching: boolean };
}

export async function searchIndexStatus(ctx: AppContext): Promise<SearchIndexStatus> {
  const [row] = await ctx.store.db.all<{ n: number; r: number }>(sql`SELECT count(*) AS n, count(DISTINCT resource_id) AS r FROM passages`);
  const embedders = await reembeddingProgress(ctx);
  return {
    passages: Number(row?.n ?? 0),
    resourcesWithPassages: Number(row?.r ?? 0),
    embedders: { ...embedders, switching: embedders.serving !== embedders.configured },
  };
}
