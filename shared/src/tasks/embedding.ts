/**
 * Embedding: the vector of a resource's current content. Debounced by
 * revision: a message for an older content revision does nothing (the message
 * for the newest is on its way), so N updates inside the window cost one
 * computation. Vectors are cached by content hash (immutable).
 */
import { and, eq, sql } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import type { DomainEvent } from "../events/catalogue";
import { loadUnlessDone, waitingForContent } from "./revisionGuard";
import type { TaskDefinition } from "./types";
import { invalidateSearchResults } from "../app/searchInvalidation";

export const embeddingComputations = { count: 0 };

function payloadOf(event: DomainEvent) {
  const p = event.payload as { resourceId: string; contentRevision: number };
  return { id: p.resourceId, contentRevision: p.contentRevision };
}

export const embeddingTask: TaskDefinition = {
  name: "embedding",
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, contentRevision } = payloadOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, { follows: "content revision", messageRevision: contentRevision, computed: (r) => r.embeddedRevision, notReady: waitingForContent });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;
    if (!row.content || !row.contentHash) return { status: "skipped", reason: "no content yet" };
    const text = row.content;
    const hash = row.contentHash;

    const vector = await app.cache.getOrLoad("embedding", `${app.embedder.id}:${hash}`, async () => {
      embeddingComputations.count++;
      const [v] = await app.embedder.embed([text]);
      return Array.from(v ?? []);
    });

    // 1. Store the vector, if the content is still the one we embedded (otherwise the newer message will).
    const stored = await app.store.write(async (tx) => {
      const current = await tx.query.resources.findFirst({ columns: { contentRevision: true }, where: eq(resources.id, id) });
      if (current?.contentRevision !== row.contentRevision) return null;
      const existing = await tx.all<{ n: number }>(sql`SELECT count(*) AS n FROM resource_embeddings WHERE resource_id = ${id}`);
      await tx.run(sql`
        INSERT OR REPLACE INTO resource_embeddings (resource_id, content_hash, content_revision, model, vector)
        VALUES (${id}, ${hash}, ${row.contentRevision}, ${app.embedder.id}, vector32(${JSON.stringify(vector)}))`);
      // A first vector changes the number of embedded resources; so may one an unconfirmed attempt stored.
      return { countChanged: Number(existing[0]?.n ?? 0) === 0 || row.embeddedRevision === 0 };
    });
    if (!stored) return { status: "skipped", reason: "content changed while embedding" };

    // 2. Invalidate the vector results it affects, before the vector is called current. Cached
    //    results carry the similarities they were ranked by, so a retry still finds them.
    await invalidateSearchResults(app, { resourceId: id, vector, countChanged: stored.countChanged }, ctx.correlationId);

    // 3. Confirm.
    const confirmed = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const res = await tx
        .update(resources)
        .set({ embeddedRevision: row.contentRevision })
        .where(and(eq(resources.id, id), eq(resources.contentRevision, row.contentRevision)));
      if (res.rowsAffected > 0) emit("embedding.generated", { resourceId: id, contentRevision: row.contentRevision, reused: false });
      return res.rowsAffected > 0;
    });
    if (!confirmed) return { status: "skipped", reason: "content changed while embedding" };
    return { status: "succeeded", revision: row.contentRevision };
  },
};
