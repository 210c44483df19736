/**
 * Embedding: the vectors of a resource's title and passages (docs/search.md),
 * made by the configured embedder, plus a document vector (their normalised
 * mean) for "similar" and recommendations.
 *
 * Debounced by revision: a message for an older content or metadata revision
 * does nothing (the newest one's message is on its way). A text embedded
 * before (same hash, same embedder: an unchanged passage, a duplicate page)
 * reuses its stored vector, so an edit re-embeds only what changed. Vectors
 * of another embedder are left alone: a change of embedder re-embeds every
 * resource in the background while search answers from the old vectors
 * (app/embedderSwitch.ts).
 *
 * Three steps, as in the search-index task: (1) write the vectors, (2)
 * invalidate the cached results they can change, (3) record the revision.
 */
import { and, eq } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { replaceVectors, vectorHashes, vectorsByTextHash } from "../adapters/libsql/passageRows";
import { writeWithEvents } from "../app/unitOfWork";
import { claimServingIfUnset, completeSwitchIfDone } from "../app/embedderSwitch";
import { waitingForContent } from "./revisionGuard";
import { invalidateSearchResults } from "../app/searchInvalidation";
import { SearchTags } from "../app/searchCaching";
import { splitPassages, textsForMeaning } from "../domain/passages";
import { l2NormalizeInPlace } from "../domain/vectors";
import { Events, type DomainEvent } from "../events/catalogue";
import { sha256 } from "../util/ids";
import type { AppContext } from "../app/context";
import { defineTask, type TaskResult } from "./types";
import { TransientError } from "../errors";

function payloadOf(event: DomainEvent<"resource.content_changed" | "resource.metadata_changed">) {
  const p = event.payload;
  return { id: p.resourceId, contentRevision: p.contentRevision, metadataRevision: p.metadataRevision, forMetadata: event.name === "resource.metadata_changed" };
}

export const embeddingTask = defineTask({
  name: "embedding",
  consumes: [Events.resource.contentChanged, Events.resource.metadataChanged],
  subjectOf: (e) => payloadOf(e).id,

  async run(event, ctx) {
    const { id, contentRevision, metadataRevision, forMetadata } = payloadOf(event);
    const { app } = ctx;
    const model = app.embedder.id;
    const row = await app.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
    if (!row) return { status: "skipped", reason: "resource deleted" };
    // A content update still being extracted by the ingestion task: its completion event wakes us.
    const waiting = waitingForContent(row);
    if (waiting) return { status: "skipped", reason: waiting };
    if (row.contentRevision > contentRevision) return { status: "skipped", reason: `superseded by content revision ${row.contentRevision}`, revision: contentRevision };
    // A content message embeds the title as it is when it runs: only a title message is superseded by a newer title.
    if (forMetadata && metadataRevision !== undefined && row.metadataRevision > metadataRevision) {
      return { status: "skipped", reason: `superseded by metadata revision ${row.metadataRevision}`, revision: contentRevision };
    }
    if (!row.content || !row.contentHash) return { status: "skipped", reason: "no content yet" };
    // A new title while the content still waits for its embedding: that embedding reads the title too.
    if (forMetadata && row.embeddedRevision < row.contentRevision) return { status: "skipped", reason: "content embedding pending; it embeds the current title" };

    const texts = textsForMeaning(row.title, splitPassages(row.content)).map((t) => ({ ...t, textHash: sha256(`${t.text}`) }));
    const stored = await vectorHashes(app.store.db, id, model);
    const sameTexts = stored.size === texts.length && texts.every((t) => stored.get(t.ordinal) === t.textHash);
    if (sameTexts && row.embeddedModel === model && row.embeddedRevision >= row.contentRevision) {
      return { status: "skipped", reason: "already current", revision: row.embeddedRevision };
    }

    const vectors = await embedReusing(app, texts);
    const passageVectors = texts.map((t) => ({ ordinal: t.ordinal, textHash: t.textHash, vector: vectors.get(t.textHash)! }));
    const documentVector = meanDirection(passageVectors.map((v) => v.vector), app.embedder.dimensions);

    // 1. Store the vectors, if the text is still the one embedded (otherwise the newer message will).
    const written = await app.store.write(async (tx) => {
      const current = await tx.query.resources.findFirst({ columns: { contentRevision: true, title: true }, where: eq(resources.id, id) });
      if (current?.contentRevision !== row.contentRevision) return null;
      if (current.title !== row.title) return "title changed" as const;
      const serving = await claimServingIfUnset(tx, model);
      const hadVectors = (await vectorHashes(tx, id, model)).size > 0;
      await replaceVectors(tx, { id, contentRevision: row.contentRevision, contentHash: row.contentHash! }, model, passageVectors, documentVector);
      // A first vector changes the number of embedded resources; so may one an unconfirmed attempt stored.
      return { serving, countChanged: !hadVectors || row.embeddedRevision === 0 };
    });
    if (!written) return { status: "skipped", reason: "content changed while embedding" };
    // The title's own message may already have passed (and skipped, the content being unembedded): try again.
    if (written === "title changed") throw new TransientError("title changed while embedding");

    // 2. Rankings read the serving embedder's vectors only: those of another change no cached result.
    if (written.serving === model) {
      await invalidateSearchResults(
        app,
        { resourceId: id, vectors: passageVectors.map((v) => v.vector), countChanged: written.countChanged, alsoTags: [SearchTags.similar] },
        ctx.correlationId,
      );
    }

    // 3. Confirm (and record the run in the ledger: one commit per task for its outcome).
    const resultOf = (ok: boolean): TaskResult => (ok ? { status: "succeeded", revision: row.contentRevision } : { status: "skipped", reason: "content changed while embedding" });
    const confirmed = await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
      const before = await tx.query.resources.findFirst({ columns: { embeddedRevision: true, embeddedModel: true }, where: eq(resources.id, id) });
      const res = await tx
        .update(resources)
        .set({ embeddedRevision: row.contentRevision, embeddedModel: model })
        .where(and(eq(resources.id, id), eq(resources.contentRevision, row.contentRevision)));
      // Announced once per content revision and embedder: a concurrent copy (or a title-only
      // re-embedding) changes no consumer's input (classification follows the content revision).
      if (res.rowsAffected > 0 && before && (before.embeddedRevision < row.contentRevision || before.embeddedModel !== model)) {
        emit("embedding.generated", { resourceId: id, contentRevision: row.contentRevision, reused: false });
      }
      return res.rowsAffected > 0;
      // The confirmation is small: it may share the commit of another write of the process (after step 2 still).
    }, { outcome: resultOf, grouped: true });
    if (!confirmed) return resultOf(false);
    // Finishes a change of embedder (or clears vectors an older version left): two index probes when there is none.
    await completeSwitchIfDone(app, ctx.correlationId);
    return resultOf(true);
  },
});

/** Vectors by text hash: stored ones where the same text was embedded before, the embedder's for the rest. */
async function embedReusing(app: AppContext, texts: ReadonlyArray<{ text: string; textHash: string }>): Promise<Map<string, number[]>> {
  const known = await vectorsByTextHash(app.store.db, app.embedder.id, [...new Set(texts.map((t) => t.textHash))]);
  const missing = [...new Map(texts.filter((t) => !known.has(t.textHash)).map((t) => [t.textHash, t.text]))];
  if (missing.length > 0) {
    const computed = await app.embedder.embed(missing.map(([, text]) => text));
    missing.forEach(([hash], i) => known.set(hash, Array.from(computed[i]!)));
  }
  return known;
}

/** The unit vector of the vectors' sum: the direction a document's parts share. */
function meanDirection(vectors: ReadonlyArray<readonly number[]>, dimensions: number): number[] {
  const sum = new Float32Array(dimensions);
  for (const v of vectors) for (let i = 0; i < dimensions; i++) sum[i] = sum[i]! + (v[i] ?? 0);
  return Array.from(l2NormalizeInPlace(sum));
}
