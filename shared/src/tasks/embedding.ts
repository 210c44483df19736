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
import { loadUnlessDone } from "./revisionGuard";
import type { TaskDefinition } from "./types";
import { SearchTags } from "../app/search";

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
    const guard = await loadUnlessDone(app, id, { follows: "content revision", messageRevision: contentRevision, computed: (r) => r.embeddedRevision });
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

    const applied = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      // Only if the content is still the one we embedded; otherwise the newer message will do it.
      const res = await tx
        .update(resources)
        .set({ embeddedRevision: row.contentRevision })
        .where(and(eq(resources.id, id), eq(resources.contentRevision, row.contentRevision)));
      if (res.rowsAffected === 0) return false;
      await tx.run(sql`
        INSERT OR REPLACE INTO resource_embeddings (resource_id, content_hash, content_revision, model, vector)
        VALUES (${id}, ${hash}, ${row.contentRevision}, ${app.embedder.id}, vector32(${JSON.stringify(vector)}))`);
      emit("embedding.generated", { resourceId: id, contentRevision: row.contentRevision, reused: false });
      return true;
    });
    if (!applied) return { status: "skipped", reason: "content changed while embedding" };
    await app.cache.invalidate({ tags: [SearchTags.vectors] }).catch(() => undefined);
    return { status: "succeeded", revision: row.contentRevision };
  },
};
