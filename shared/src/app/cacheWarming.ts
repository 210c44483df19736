/**
 * Cache warming (requirement 7.5): loads the most read resources and re-runs
 * the most frequent queries through the normal read paths, so what is warmed
 * is exactly what a request would cache. Runs at start and on demand
 * (`POST /monitoring/cache/warm`, `npm run cli -- warm`).
 */
import type { AppContext } from "./context";
import { mostFrequentQueries, mostReadResources } from "./popularity";
import { getResourceView } from "./resources";
import { search, type SearchMode } from "./search";

export interface WarmResult {
  resources: number;
  queries: number;
  failed: number;
  tookMs: number;
}

export async function warmCache(ctx: AppContext, options: { resources?: number; queries?: number } = {}): Promise<WarmResult> {
  const t0 = performance.now();
  const ids = await mostReadResources(ctx.store, options.resources ?? 200);
  const queries = await mostFrequentQueries(ctx.store, options.queries ?? 100);
  let failed = 0;
  let resources = 0;
  let warmedQueries = 0;
  for (const id of ids) {
    try {
      await getResourceView(ctx, id);
      resources++;
    } catch {
      failed++; // deleted since it was popular
    }
  }
  for (const q of queries) {
    try {
      // Results pages people ask for first: the default page size of the API.
      await search(ctx, { q: q.query, mode: q.mode as SearchMode, limit: 10, offset: 0 }, { count: false });
      warmedQueries++;
    } catch {
      failed++;
    }
  }
  return { resources, queries: warmedQueries, failed, tookMs: Math.round(performance.now() - t0) };
}
