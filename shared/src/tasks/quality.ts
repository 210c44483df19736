/**
 * Quality: recomputes the score of the resource's latest revision (10 s
 * debounce by revision). Dimensions and weights: `shared/src/domain/quality.ts`.
 */
import { and, eq, lt, sql } from "drizzle-orm";
import { citations, resources } from "../adapters/libsql/schema";
import { computeQuality } from "../domain/quality";
import { writeWithEvents } from "../app/unitOfWork";
import { Events, type DomainEvent } from "../events/catalogue";
import { loadUnlessDone, waitingForContent } from "./revisionGuard";
import { defineTask, type TaskResult } from "./types";
import { derivedDataTags } from "../app/searchCaching";

function payloadOf(event: DomainEvent<"resource.metadata_changed" | "resource.content_changed">) {
  return { id: event.payload.resourceId, revision: event.payload.revision };
}

export const qualityTask = defineTask({
  name: "quality",
  consumes: [Events.resource.metadataChanged, Events.resource.contentChanged],
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, revision } = payloadOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, { datum: "quality", messageRevision: revision, notReady: waitingForContent });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;
    if (row.ingestionStatus !== "completed") return { status: "skipped", reason: "not ingested yet" };
    const [count] = await app.store.db.select({ n: sql<number>`count(*)` }).from(citations).where(eq(citations.sourceId, id));
    const quality = computeQuality({
      title: row.title,
      description: row.description,
      authors: row.authors,
      text: row.content ?? "",
      language: row.language,
      citationCount: Number(count?.n ?? 0),
      source: row.source,
      url: row.url,
      contentType: row.contentType ?? "text/plain",
    });
    // What the run returns, recorded in the ledger by the write itself (one commit per task).
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision: row.revision } : { status: "skipped", reason: "resource changed or scored concurrently" });
    const applied = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const res = await tx
        .update(resources)
        .set({ qualityScore: quality.score, qualityDimensions: quality.dimensions, qualityRevision: row.revision })
        // Compare-and-set on the computed revision: two messages of one revision that passed the
        // guard together (same batch, two workers) cannot both record a score.
        .where(and(eq(resources.id, id), eq(resources.revision, row.revision), lt(resources.qualityRevision, row.revision)));
      if (res.rowsAffected === 0) return false;
      emit("quality.computed", { resourceId: id, revision: row.revision, score: quality.score });
      return true;
      // A small write: it may share the commit of another task's write (quality has no reader waiting on it).
    }, { outcome: (ok) => resultOf(ok), grouped: true });
    if (!applied) return resultOf(false);
    // Search results that filter or count by it are cached too (app/searchCaching.ts).
    await app.cache.invalidate({ tags: derivedDataTags("quality", id) }).catch(() => undefined);
    return resultOf(true);
  },
});
