/**
 * Author normalisation (LOW, 60 s delay): links each author name of a resource
 * to a canonical author, merging variants such as "Smith, John", "J. Smith"
 * and "SMITH J" while keeping distinct people with similar names apart (rules:
 * `shared/src/domain/authorNames.ts`). Runs in one write transaction so two
 * workers cannot create the same author twice.
 */
import { and, eq, inArray } from "drizzle-orm";
import { authors, resourceAuthors, resources } from "../adapters/libsql/schema";
import { canonicalKey, clusterAuthors } from "../domain/authorNames";
import { writeWithEvents } from "../app/unitOfWork";
import { newId } from "../util/ids";
import { Events, type DomainEvent } from "../events/catalogue";
import { loadUnlessDone } from "./revisionGuard";
import { defineTask, type TaskResult } from "./types";
import { derivedDataTags } from "../app/searchCaching";

function payloadOf(event: DomainEvent<"authors.extracted">) {
  return { id: event.payload.resourceId, metadataRevision: event.payload.metadataRevision };
}

export const authorNormalizationTask = defineTask({
  name: "author-normalization",
  consumes: [Events.authors.extracted],
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, metadataRevision } = payloadOf(event);
    const { app } = ctx;
    const guard = await loadUnlessDone(app, id, { datum: "authors", messageRevision: metadataRevision });
    if ("skip" in guard) return guard.skip;
    const { row } = guard;

    // What the run returns, recorded in the ledger by the write itself (one commit per task).
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision: row.metadataRevision } : { status: "skipped", reason: "metadata changed while normalising" });
    const linked = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const current = await tx.query.resources.findFirst({ where: eq(resources.id, id) });
      if (!current || current.metadataRevision !== row.metadataRevision) return null;
      const names = current.authors.map((n) => n.trim()).filter((n) => n.length > 0);
      const keys = [...new Set(names.map((n) => canonicalKey(n)))];
      const known = keys.length ? await tx.select().from(authors).where(inArray(authors.key, keys)) : [];
      const authorIds: string[] = [];
      await tx.delete(resourceAuthors).where(eq(resourceAuthors.resourceId, id));
      for (const [position, name] of names.entries()) {
        const key = canonicalKey(name);
        const sameKey = known.filter((a) => a.key === key);
        // Cluster this name together with every variant already known under its key.
        const clusters = clusterAuthors([...sameKey.flatMap((a) => a.variants), name]);
        const mine = clusters.find((c) => c.variants.includes(name));
        const matches = mine ? sameKey.filter((a) => a.variants.some((v) => mine.variants.includes(v))) : [];
        let author = matches.sort((a, b) => b.variants.length - a.variants.length)[0];
        if (author) {
          const variants = [...new Set([...author.variants, name])];
          const canonicalName = mine?.canonical ?? author.canonicalName;
          if (variants.length !== author.variants.length || canonicalName !== author.canonicalName) {
            await tx.update(authors).set({ variants, canonicalName }).where(eq(authors.id, author.id));
            author = { ...author, variants, canonicalName };
            known.splice(known.findIndex((a) => a.id === author!.id), 1, author);
          }
        } else {
          author = { id: newId(), key, canonicalName: mine?.canonical ?? name, variants: [name] };
          await tx.insert(authors).values(author);
          known.push(author);
        }
        authorIds.push(author.id);
        await tx.insert(resourceAuthors).values({ resourceId: id, position, authorId: author.id, rawName: name });
      }
      await tx.update(resources).set({ authorsRevision: current.metadataRevision }).where(and(eq(resources.id, id), eq(resources.metadataRevision, current.metadataRevision)));
      emit("authors.normalized", { resourceId: id, authorIds });
      return authorIds;
    }, { outcome: (ids) => resultOf(ids !== null) });
    if (!linked) return resultOf(false);
    // Search results that filter or count by it are cached too (app/searchCaching.ts).
    await app.cache.invalidate({ tags: derivedDataTags("authors", id) }).catch(() => undefined);
    return resultOf(true);
  },
});
