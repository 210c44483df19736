/**
 * The second half of a content update (PATCH /resources/{id} with content):
 * the request stored the content as sent and bumped the content revision; the
 * ingestion task extracts it, and this writes the text, its hash and its
 * citations, marks the resource ingested again and announces the new text,
 * which wakes every task that derives from it.
 */
import { eq } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { replaceCitations } from "../app/citationsStore";
import type { ExtractedDocument } from "../ingest/extract";
import { sha256 } from "../util/ids";
import { fingerprintResource } from "../app/nearDuplicates";
import type { TaskResult, TaskRunContext } from "./types";

type ResourceRow = typeof resources.$inferSelect;

/** The message asked for an older content revision than the store has: the message for the newest is on its way. */
export function supersededUpdate(row: ResourceRow, wanted: number | undefined): TaskResult | null {
  if (wanted === undefined || row.contentRevision <= wanted) return null;
  return { status: "skipped", reason: `superseded by content revision ${row.contentRevision}`, revision: wanted };
}

export async function storeUpdatedContent(ctx: TaskRunContext, extractedFrom: ResourceRow, doc: ExtractedDocument): Promise<TaskResult> {
  const id = extractedFrom.id;
  const contentHash = sha256(doc.text);
  return writeWithEvents(ctx.app, ctx.correlationId, async (tx, emit): Promise<TaskResult> => {
    const row = await tx.query.resources.findFirst({ where: eq(resources.id, id) });
    if (!row) return { status: "skipped", reason: "resource deleted" };
    // Another update arrived while this one was being extracted: its own message extracts the newer content.
    if (row.contentRevision !== extractedFrom.contentRevision || row.inputContent !== extractedFrom.inputContent) {
      return { status: "skipped", reason: `superseded by content revision ${row.contentRevision}`, revision: extractedFrom.contentRevision };
    }
    if (row.ingestionStatus === "completed") return { status: "skipped", reason: "already ingested", revision: row.contentRevision };
    const now = new Date().toISOString();
    const near = await fingerprintResource(tx, id, row.contentRevision, doc.text);
    await tx
      .update(resources)
      .set({ duplicateOf: near?.id ?? null, duplicateSimilarity: near?.similarity ?? null, content: doc.text, contentHash, contentType: doc.contentType, language: doc.language, ingestionStatus: "completed", ingestionError: null, updatedAt: now })
      .where(eq(resources.id, id));
    await replaceCitations(tx, id, row.contentRevision, doc.citations);
    const revs = { resourceId: id, revision: row.revision, contentRevision: row.contentRevision, metadataRevision: row.metadataRevision };
    emit("ingestion.completed", { ...revs, reused: false });
    emit("resource.updated", { ...revs, changed: ["content"] });
    emit("resource.content_changed", { ...revs, contentHash });
    emit("citations.extracted", { resourceId: id, contentRevision: row.contentRevision, count: doc.citations.length });
    return { status: "succeeded", revision: row.contentRevision, reason: "content update extracted" };
  }); // no `outcome`: the ledger row follows the view's invalidation (see ingestion.ts)
}
