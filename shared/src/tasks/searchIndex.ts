/**
 * Search index: writes the resource's current title, description and text into
 * FTS5, and its passages (domain/passages.ts) into the passage index, in one
 * transaction (no reader sees passages of two revisions), and records the
 * revision indexed. A message for an older revision does nothing. Between the
 * write and the record, the cached search results the change can affect are
 * invalidated (searchInvalidation.ts), so once the index is called current no
 * cached answer reflects the old text.
 */
import { and, eq, sql } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { Events, type DomainEvent } from "../events/catalogue";
import { loadUnlessDone, waitingForContent } from "./revisionGuard";
import { defineTask, type TaskResult } from "./types";
import { invalidateSearchResults } from "../app/searchInvalidation";
import { replacePassages } from "../adapters/libsql/passageRows";
import { splitPassages } from "../domain/passages";
import { SearchTags } from "../app/searchCaching";

function payloadOf(event: DomainEvent<"resource.updated">) {
  return { id: event.payload.resourceId, revision: event.payload.revision };
}

export const searchIndexTask = defineTask({
  name: "search-index",
  consumes: [Events.resource.updated],
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, revision } = payloadOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, { datum: "searchIndex", messageRevision: revision, notReady: waitingForContent });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;

    const newText = [row.title ?? "", row.description ?? "", row.content ?? ""];
    const passages = splitPassages(row.content ?? "");

    // 1. Write the FTS row. The text it replaces is what cached results may reflect; it is known unless
    //    an earlier attempt wrote the row and stopped before step 3 (then caches may reflect either text).
    const before = await app.store.write(async (tx) => {
      const current = await tx.query.resources.findFirst({
        columns: { revision: true, ftsRevision: true, indexedRevision: true, contentRevision: true },
        where: eq(resources.id, id),
      });
      if (!current || current.revision !== row.revision) return undefined;
      await tx.update(resources).set({ ftsRevision: row.revision }).where(eq(resources.id, id));
      const old = await tx.all<{ title: string | null; description: string | null; body: string | null }>(
        sql`SELECT title, description, body FROM resources_fts WHERE resource_id = ${id}`,
      );
      await tx.run(sql`DELETE FROM resources_fts WHERE resource_id = ${id}`);
      await tx.run(sql`INSERT INTO resources_fts (resource_id, title, description, body) VALUES (${id}, ${newText[0]}, ${newText[1]}, ${newText[2]})`);
      const [indexed] = await tx.all<{ revision: number | null }>(sql`SELECT max(content_revision) AS revision FROM passages WHERE resource_id = ${id}`);
      await replacePassages(tx, id, row.contentRevision, passages);
      return {
        text: current.ftsRevision === current.indexedRevision ? old.flatMap((r) => [r.title ?? "", r.description ?? "", r.body ?? ""]) : null,
        newContent: indexed?.revision !== row.contentRevision,
      };
    });
    if (before === undefined) return { status: "skipped", reason: "resource changed while indexing" };

    // 2. Invalidate what the change affects, before anyone can see the index called current.
    //    If this throws, the retry finds the row written and unconfirmed. New content may come with
    //    another content type or language: results filtering or counting by those go too.
    const meta = before.newContent ? [SearchTags.meta("type"), SearchTags.meta("language")] : [];
    await invalidateSearchResults(app, { resourceId: id, text: before.text ? { before: before.text, after: newText } : "unknown", alsoTags: meta }, ctx.correlationId);

    // 3. Confirm (and record the run in the ledger: one commit per task for its outcome).
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision: row.revision } : { status: "skipped", reason: "resource changed while indexing" });
    const confirmed = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const res = await tx
        .update(resources)
        .set({ indexedRevision: row.revision })
        .where(and(eq(resources.id, id), eq(resources.revision, row.revision), eq(resources.ftsRevision, row.revision)));
      if (res.rowsAffected > 0) emit("search.index_updated", { resourceId: id, revision: row.revision });
      return res.rowsAffected > 0;
      // The confirmation is small: it may share the commit of another write of the process (after step 2 still).
    }, { outcome: resultOf, grouped: true });
    return resultOf(confirmed);
  },
});
