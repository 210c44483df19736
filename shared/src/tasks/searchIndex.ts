/**
 * Search index: writes the resource's current title, description and text into
 * FTS5 and records the revision indexed. A message for an older revision does
 * nothing. After the write, cached search results are invalidated.
 */
import { and, eq, sql } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { TransientError } from "../errors";
import type { DomainEvent } from "../events/catalogue";
import { loadUnlessDone } from "./revisionGuard";
import type { TaskDefinition } from "./types";
import { SearchTags } from "../app/search";

function payloadOf(event: DomainEvent) {
  const p = event.payload as { resourceId: string; revision: number };
  return { id: p.resourceId, revision: p.revision };
}

export const searchIndexTask: TaskDefinition = {
  name: "search-index",
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, revision } = payloadOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, { follows: "revision", messageRevision: revision, computed: (r) => r.indexedRevision });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;

    const applied = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const res = await tx.update(resources).set({ indexedRevision: row.revision }).where(and(eq(resources.id, id), eq(resources.revision, row.revision)));
      if (res.rowsAffected === 0) return false;
      await tx.run(sql`DELETE FROM resources_fts WHERE resource_id = ${id}`);
      await tx.run(sql`INSERT INTO resources_fts (resource_id, title, description, body) VALUES (${id}, ${row.title ?? ""}, ${row.description ?? ""}, ${row.content ?? ""})`);
      emit("search.index_updated", { resourceId: id, revision: row.revision });
      return true;
    });
    if (!applied) return { status: "skipped", reason: "resource changed while indexing" };
    try {
      await app.cache.invalidate({ tags: [SearchTags.text] });
    } catch (e) {
      // The index is written; only cached results may be old. Retrying re-runs this invalidation.
      await app.store.write((tx) => tx.update(resources).set({ indexedRevision: row.revision - 1 }).where(eq(resources.id, id)));
      throw new TransientError(`search cache invalidation failed: ${String(e)}`);
    }
    return { status: "succeeded", revision: row.revision };
  },
};
