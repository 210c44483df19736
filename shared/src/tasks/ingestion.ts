/**
 * Ingestion: fetch (or decode) what the client sent, extract text and
 * metadata, and store it as content revision 1 with every event that follows
 * from it. Identical content (same hash) reuses the embedding and categories
 * already computed for it instead of recomputing them. A near-copy of an
 * earlier resource is marked `duplicateOf` it (app/nearDuplicates.ts).
 *
 * A content update (PATCH) comes here too: the request stored the content and
 * bumped the content revision; this task extracts it (contentUpdate.ts), so
 * every parse of client input happens in one place, in a worker.
 */
import { eq, and, inArray, ne, sql } from "drizzle-orm";
import { categories, resourceKeys, resources } from "../adapters/libsql/schema";
import { PermanentError, errorMessage } from "../errors";
import { safeFetch } from "../ingest/safeFetch";
import { citationKeysForUrl } from "../ingest/citations";
import { extractUntrusted } from "../ingest/isolation";
import { publicIngestionError } from "../ingest/publicError";
import { logger } from "../observability/logger";
import { sha256 } from "../util/ids";
import { writeWithEvents } from "../app/unitOfWork";
import { replaceCitations } from "../app/citationsStore";
import type { AppContext } from "../app/context";
import { invalidateNow } from "../app/resources";
import { passageVectorsOf } from "../app/documentVectors";
import { servingEmbedderId } from "../app/embedderSwitch";
import { copyVectors } from "../adapters/libsql/passageRows";
import { ALL_SEARCH_TAGS, SearchTags } from "../app/searchCaching";
import { invalidateSearchResults } from "../app/searchInvalidation";
import { Events, type DomainEvent } from "../events/catalogue";
import { defineTask, type TaskResult, type TaskRunContext } from "./types";
import { storeUpdatedContent, supersededUpdate } from "./contentUpdate";
import { fingerprintResource } from "../app/nearDuplicates";

type IngestionEvent = DomainEvent<"ingestion.requested">;

function resourceIdOf(event: IngestionEvent): string {
  return event.payload.resourceId;
}

/** Set when a content update asked for the extraction; absent for the first ingestion. */
function contentRevisionOf(event: IngestionEvent): number | undefined {
  return event.payload.contentRevision;
}

const IN_PROGRESS = ["pending", "processing"] as const;

interface Input {
  bytes: Uint8Array;
  contentType: string | null;
  charset?: string | null;
  url: string | null;
}

async function readInput(row: typeof resources.$inferSelect, ctx: TaskRunContext): Promise<Input> {
  if (row.inputUrl) {
    const doc = await safeFetch(row.inputUrl, ctx.app.config.fetch);
    return { bytes: doc.bytes, contentType: doc.contentType, charset: doc.charset, url: doc.finalUrl };
  }
  if (row.inputContent !== null) {
    const bytes = row.inputContentType === "application/pdf" ? Buffer.from(row.inputContent, "base64") : new TextEncoder().encode(row.inputContent);
    return { bytes: new Uint8Array(bytes), contentType: row.inputContentType, url: null };
  }
  throw new PermanentError("resource has neither a URL nor content to ingest");
}

export const ingestionTask = defineTask({
  name: "ingestion",
  consumes: [Events.ingestion.requested],
  subjectOf: resourceIdOf,

  async run(event, ctx) {
    const outcome = await ingest(event, ctx);
    // The resource's view changed (GET /resources/{id}): invalidated before the task reports done, so no read
    // after that sees `pending`. The cache-invalidation task repeats it from resource.updated (the durable path).
    if (outcome.status === "succeeded") await invalidateNow(ctx.app, [`resource:${resourceIdOf(event)}`], ctx.correlationId);
    return outcome;
  },

  async onGiveUp(event, error, ctx) {
    const id = resourceIdOf(event);
    // Readers see a code and a fixed sentence; the detail stays in the log and the task record (/monitoring).
    const shown = publicIngestionError(error);
    logger.warn("ingestion failed", { resourceId: id, error: errorMessage(error).slice(0, 2000), shown, correlationId: ctx.correlationId });
    const failed = await writeWithEvents(ctx.app, ctx.correlationId, async (tx, emit) => {
      // Only the revision this message was for fails: a newer content update keeps its own chance.
      const res = await tx
        .update(resources)
        .set({ ingestionStatus: "failed", ingestionError: shown, updatedAt: new Date().toISOString() })
        .where(and(eq(resources.id, id), eq(resources.contentRevision, contentRevisionOf(event) ?? 0), inArray(resources.ingestionStatus, [...IN_PROGRESS])));
      if (res.rowsAffected > 0) emit("ingestion.failed", { resourceId: id, error: shown });
      return res.rowsAffected > 0;
    });
    // A failure is a change of state like any other: the cached `pending` view goes now (ingestion.failed repeats it).
    if (failed) await invalidateNow(ctx.app, [`resource:${id}`], ctx.correlationId);
  },
});

async function ingest(event: IngestionEvent, ctx: TaskRunContext): Promise<TaskResult> {
  const id = resourceIdOf(event);
  const row = await ctx.app.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
  if (!row) return { status: "skipped", reason: "resource deleted" };
  const update = row.contentRevision > 0;
  if (row.ingestionStatus === "completed" || (update && row.ingestionStatus === "failed")) return { status: "skipped", reason: "already ingested", revision: row.contentRevision };
  const superseded = update ? supersededUpdate(row, contentRevisionOf(event)) : null;
  if (superseded) return superseded;

  void ctx.app.emitter.emit("ingestion.started", { resourceId: id }, { correlationId: ctx.correlationId });
  const input = await readInput(row, ctx);
  const doc = await extractUntrusted(input, { isolation: ctx.app.config.extractionIsolation, attempt: ctx.attempt });
  if (!doc.text.trim()) throw new PermanentError("no text could be extracted from the document");
  if (update) return storeUpdatedContent(ctx, row, doc);
  const contentHash = sha256(doc.text);
  const provided = row.providedMetadata;
  const title = provided.title ?? doc.title ?? null;
  const description = provided.description ?? doc.description ?? null;
  const authorNames = provided.authors ?? doc.authors;
  const source = provided.source ?? (input.url ? new URL(input.url).hostname : null);

  // No `outcome` option: ingestion's ledger row is written by the runner after `run` returns, i.e. after the
  // resource's view was invalidated (ingestionTask.run). Inside this transaction it would say "done" while the
  // cached `pending` view could still be read (test/integration/ingestionOutcomeReads.test.ts). It rides in the
  // process's next write transaction, so it rarely costs a commit of its own.
  const result = await writeWithEvents(ctx.app, ctx.correlationId, async (tx, emit) => {
    const current = await tx.query.resources.findFirst({ where: eq(resources.id, id) });
    if (!current || current.contentRevision > 0) return { reused: false, skipped: true, revision: current?.contentRevision ?? 0 };
    const revision = current.revision + 1;
    const contentRevision = current.contentRevision + 1;
    const metadataRevision = current.metadataRevision + 1;
    // Reuse: another resource with the same text already has an embedding and categories.
    const twin = await tx.query.resources.findFirst({
      where: and(eq(resources.contentHash, contentHash), ne(resources.id, id), sql`${resources.embeddedRevision} > 0`),
    });
    const near = await fingerprintResource(tx, id, contentRevision, doc.text);
    let reused = false;
    let embeddedRevision = 0;
    let classifiedRevision = 0;
    if (twin) {
      const copied = await tx.run(sql`
        INSERT OR REPLACE INTO resource_embeddings (resource_id, content_hash, content_revision, model, vector)
        SELECT ${id}, content_hash, ${contentRevision}, model, vector FROM resource_embeddings
        WHERE resource_id = ${twin.id} AND content_hash = ${contentHash}`);
      if (copied.rowsAffected > 0) {
        await copyVectors(tx, twin.id, id, contentRevision);
        reused = true;
        embeddedRevision = contentRevision;
        if (twin.classifiedRevision > 0) {
          const cats = await tx.select().from(categories).where(and(eq(categories.resourceId, twin.id), eq(categories.source, "predicted")));
          if (cats.length > 0) {
            await tx.insert(categories).values(cats.map((c) => ({ ...c, resourceId: id, contentRevision }))).onConflictDoNothing();
            classifiedRevision = contentRevision;
          }
        }
      }
    }
    await tx
      .update(resources)
      .set({
        url: input.url ?? current.url,
        title,
        description,
        authors: authorNames,
        source,
        language: doc.language,
        contentType: doc.contentType,
        content: doc.text,
        contentHash,
        revision,
        contentRevision,
        metadataRevision,
        embeddedRevision,
        embeddedModel: reused ? twin!.embeddedModel : null,
        classifiedRevision,
        duplicateOf: near?.id ?? null,
        duplicateSimilarity: near?.similarity ?? null,
        ingestionStatus: "completed",
        ingestionError: null,
        ingestedAt: new Date().toISOString(),
        updatedAt: new Date().toISOString(),
      })
      .where(eq(resources.id, id));
    await replaceCitations(tx, id, contentRevision, doc.citations);
    // A resource is known by the URL it was asked for and the one it finally came from.
    const urls = [...new Set([row.inputUrl, input.url].filter((u): u is string => !!u && /^https?:/.test(u)))];
    for (const url of urls) {
      for (const key of citationKeysForUrl(url)) {
        await tx.insert(resourceKeys).values({ kind: key.kind, value: key.value, resourceId: id }).onConflictDoNothing();
      }
    }
    const revs = { resourceId: id, revision, contentRevision, metadataRevision };
    emit("ingestion.completed", { ...revs, reused });
    emit("resource.updated", { ...revs, changed: ["content", "metadata"] });
    // One trigger per revision for the tasks that follow both content and metadata (embedding,
    // quality): content_changed. They reread the whole row, metadata included; a second event of
    // the same revision (metadata_changed) would only run them twice (issue 14).
    emit("resource.content_changed", { ...revs, contentHash });
    emit("citations.extracted", { resourceId: id, contentRevision, count: doc.citations.length });
    if (authorNames.length > 0) emit("authors.extracted", { resourceId: id, metadataRevision, count: authorNames.length });
    if (reused) emit("embedding.generated", { resourceId: id, contentRevision, reused: true });
    return { reused, skipped: false, revision: contentRevision };
  });
  if (result.reused) await invalidateForCopiedVector(ctx.app, id, ctx.correlationId);
  return resultOf(result);
}

/** What an ingestion run returns, from what its write did (recorded in the ledger by that write). */
function resultOf(written: { reused: boolean; skipped: boolean; revision: number }): TaskResult {
  if (written.skipped) return { status: "skipped", reason: "ingested concurrently", revision: written.revision };
  return { status: "succeeded", revision: written.revision, ...(written.reused ? { reason: "reused derived data of identical content" } : {}) };
}

/** The resource got a copy of its twin's vectors: it may now belong in cached vector results. */
async function invalidateForCopiedVector(app: AppContext, id: string, correlationId: string): Promise<void> {
  const vectors = await servingEmbedderId(app)
    .then((model) => passageVectorsOf(app, id, model))
    .catch(() => undefined);
  if (vectors) await invalidateSearchResults(app, { resourceId: id, vectors, countChanged: true, alsoTags: [SearchTags.similar] }, correlationId);
  else await invalidateNow(app, ALL_SEARCH_TAGS, correlationId);
}
