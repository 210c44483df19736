/** Rows written straight into the store, for jobs that read what tasks would have left there. */
import { eq, sql } from "drizzle-orm";
import { outbox, qualityFlags, resources } from "@shared/adapters/libsql/schema";
import { newId, sha256 } from "@shared/util/ids";
import type { AppContext } from "@shared/app/context";

export type ResourceRow = typeof resources.$inferInsert;

/** A resource that is ingested and current at revision 1, unless `patch` says otherwise. */
export async function insertResource(app: AppContext, patch: Partial<ResourceRow> = {}): Promise<string> {
  const id = patch.id ?? newId();
  const content = patch.content ?? `Document ${id}: a short text about nothing in particular.`;
  const now = new Date().toISOString();
  await app.store.write((tx) =>
    tx.insert(resources).values({
      id,
      title: `Resource ${id}`,
      content,
      contentHash: sha256(content),
      contentType: "text/plain",
      ingestionStatus: "completed",
      ingestedAt: now,
      revision: 1,
      contentRevision: 1,
      metadataRevision: 1,
      embeddedRevision: 1,
      indexedRevision: 1,
      qualityRevision: 1,
      classifiedRevision: 1,
      graphRevision: 1,
      authorsRevision: 1,
      createdAt: now,
      updatedAt: now,
      ...patch,
    }),
  );
  return id;
}

export async function setResource(app: AppContext, id: string, patch: Partial<ResourceRow>): Promise<void> {
  await app.store.write((tx) => tx.update(resources).set(patch).where(eq(resources.id, id)));
}

export async function flagsOf(app: AppContext, kind: "degraded" | "outlier") {
  return app.store.db.select().from(qualityFlags).where(eq(qualityFlags.kind, kind));
}

/** Events as the outbox recorded them (the unit of work stages every emitted event there). */
export async function outboxEvents(app: AppContext, name: string): Promise<Array<{ payload: Record<string, unknown>; meta: Record<string, unknown> }>> {
  const rows = await app.store.db.select({ payload: outbox.payload, meta: outbox.meta }).from(outbox).where(eq(outbox.name, name)).orderBy(sql`rowid`);
  return rows.map((r) => ({ payload: r.payload as Record<string, unknown>, meta: r.meta }));
}
