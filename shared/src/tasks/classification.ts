/**
 * Classification: suggests taxonomy categories (with confidence, marked
 * `predicted`) for the current content. Ordering: it needs ingested content;
 * if woken before ingestion finished it does nothing, and the
 * `embedding.generated` event that follows ingestion wakes it again.
 */
import { and, eq, lt } from "drizzle-orm";
import { categories, resources } from "../adapters/libsql/schema";
import { predict } from "../domain/classifier";
import { activeModel } from "../app/classifierModels";
import { writeWithEvents } from "../app/unitOfWork";
import { Events, type DomainEvent } from "../events/catalogue";
import { loadUnlessDone, waitingForContent } from "./revisionGuard";
import { defineTask, type TaskResult } from "./types";
import { derivedDataTags } from "../app/searchCaching";

/** Suggestions below this confidence are not stored. */
const MIN_CONFIDENCE = 0.1;

type ClassificationEvent = DomainEvent<"resource.created" | "embedding.generated">;

function idOf(event: ClassificationEvent): string {
  return event.payload.resourceId;
}

/** The content revision the trigger was sent for: `resource.created` carries none (nothing is extracted yet). */
function contentRevisionOf(event: ClassificationEvent): number | undefined {
  return "contentRevision" in event.payload ? event.payload.contentRevision : undefined;
}

export const classificationTask = defineTask({
  name: "classification",
  consumes: [Events.resource.created, Events.embedding.generated],
  subjectOf: idOf,

  async run(event, ctx) {
    const id = idOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, {
      datum: "classification",
      messageRevision: contentRevisionOf(event),
      notReady: waitingForContent,
    });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;

    const { version, model } = await activeModel(app);
    const suggestions = predict(model, `${row.title ?? ""}\n${row.description ?? ""}\n${row.content}`, 3).filter((s) => s.confidence >= MIN_CONFIDENCE);
    // What the run returns, recorded in the ledger by the write itself (one commit per task).
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision: row.contentRevision } : { status: "skipped", reason: "content changed or classified concurrently" });
    const applied = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const res = await tx
        .update(resources)
        .set({ classifiedRevision: row.contentRevision })
        // Compare-and-set on the computed revision: concurrent messages of one revision classify once.
        .where(and(eq(resources.id, id), eq(resources.contentRevision, row.contentRevision), lt(resources.classifiedRevision, row.contentRevision)));
      if (res.rowsAffected === 0) return false;
      await tx.delete(categories).where(and(eq(categories.resourceId, id), eq(categories.source, "predicted")));
      if (suggestions.length > 0) {
        await tx.insert(categories).values(
          suggestions.map((s) => ({ resourceId: id, category: s.category, source: "predicted" as const, confidence: s.confidence, modelVersion: version, contentRevision: row.contentRevision })),
        );
      }
      emit("classification.suggested", { resourceId: id, contentRevision: row.contentRevision, categories: suggestions.map((s) => s.category) });
      return true;
    }, { outcome: resultOf });
    if (!applied) return resultOf(false);
    // Search results that filter or count by it are cached too (app/searchCaching.ts).
    await app.cache.invalidate({ tags: derivedDataTags("classification", id) }).catch(() => undefined);
    return resultOf(true);
  },
});
