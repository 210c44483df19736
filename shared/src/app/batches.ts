/**
 * Batch processing (requirement 5.8): many resources in one request, one id to
 * follow them until every item's derived data is current.
 */
import { eq } from "drizzle-orm";
import { batches, resources } from "../adapters/libsql/schema";
import { NotFoundError } from "../errors";
import { newId } from "../util/ids";
import type { AppContext } from "./context";
import { createResources, statusOf, type CreateResourceInput } from "./resources";
import { reprocessState } from "./reprocess";
import type { StageName } from "../domain/derived";

export async function createBatch(ctx: AppContext, items: readonly CreateResourceInput[], correlationId: string) {
  const batchId = newId();
  await ctx.store.write((tx) => tx.insert(batches).values({ id: batchId, total: items.length, createdAt: new Date().toISOString() }));
  const created = await createResources(ctx, items.map((i) => ({ ...i, batchId })), correlationId);
  void ctx.emitter.emit("batch.created", { batchId, total: items.length }, { correlationId });
  return { batchId, total: items.length, items: created };
}

export interface BatchProgress {
  batchId: string;
  total: number;
  done: number;
  failed: number;
  pending: number;
  complete: boolean;
  stages: { ingested: number; embedded: number; indexed: number; scored: number; classified: number };
  failures: Array<{ id: string; error: string | null }>;
}

export async function batchProgress(ctx: AppContext, batchId: string): Promise<BatchProgress> {
  const batch = await ctx.store.db.query.batches.findFirst({ where: eq(batches.id, batchId) });
  if (!batch) throw new NotFoundError(`batch ${batchId}`);
  if (batch.resourceIds) return reprocessProgress(ctx, batch);
  const rows = await ctx.store.db.select().from(resources).where(eq(resources.batchId, batchId));
  const stages = { ingested: 0, embedded: 0, indexed: 0, scored: 0, classified: 0 };
  let done = 0;
  const failures: BatchProgress["failures"] = [];
  for (const row of rows) {
    const s = statusOf(row);
    if (row.ingestionStatus === "failed") failures.push({ id: row.id, error: row.ingestionError });
    if (row.ingestionStatus === "completed") stages.ingested++;
    if (s.derived.embedding.current) stages.embedded++;
    if (s.derived.searchIndex.current) stages.indexed++;
    if (s.derived.quality.current) stages.scored++;
    if (s.derived.classification.current) stages.classified++;
    if (s.upToDate) done++;
  }
  const failed = failures.length;
  return { batchId, total: batch.total, done, failed, pending: batch.total - done - failed, complete: done + failed === batch.total, stages, failures };
}

/** A reprocess batch: a resource is done when the stages re-run are done, failed when one failed again since the request. */
async function reprocessProgress(ctx: AppContext, batch: typeof batches.$inferSelect): Promise<BatchProgress> {
  const stages = { ingested: 0, embedded: 0, indexed: 0, scored: 0, classified: 0 };
  let done = 0;
  const failures: BatchProgress["failures"] = [];
  for (const id of batch.resourceIds ?? []) {
    const row = await ctx.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
    // Deleted since: nothing left to reprocess.
    if (!row) {
      done++;
      continue;
    }
    const s = statusOf(row);
    if (row.ingestionStatus === "completed") stages.ingested++;
    if (s.derived.embedding.current) stages.embedded++;
    if (s.derived.searchIndex.current) stages.indexed++;
    if (s.derived.quality.current) stages.scored++;
    if (s.derived.classification.current) stages.classified++;
    const state = await reprocessState(ctx, id, (batch.stages ?? []) as StageName[], batch.createdAt);
    if (state === "done") done++;
    else if (state === "failed") failures.push({ id, error: row.ingestionError ?? "a stage failed again" });
  }
  const failed = failures.length;
  return { batchId: batch.id, total: batch.total, done, failed, pending: batch.total - done - failed, complete: done + failed === batch.total, stages, failures };
}
