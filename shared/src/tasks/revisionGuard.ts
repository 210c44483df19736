/**
 * The check every derived-data task starts with (docs/architecture.md, "Debounce and idempotence by revision"): reload the
 * resource by id and do nothing when it is gone, when the message is for an
 * older revision (the message for the newest is on its way), or when the
 * derived datum is already current.
 */
import { eq } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import type { AppContext } from "../app/context";
import type { TaskResult } from "./types";
import { DERIVED, type DerivedName, type RevisionField } from "../domain/derived";

export type ResourceRow = typeof resources.$inferSelect;

/** How skip reasons name each revision (the ledger shows them). */
const FOLLOWS_LABEL: Record<RevisionField, string> = { revision: "revision", contentRevision: "content revision", metadataRevision: "metadata revision" };

export interface RevisionGuard {
  /** The kind of derived data the task produces: the table says which revision it follows and where it records it. */
  datum: DerivedName;
  /** The revision the message was sent for; absent when the trigger carries none. */
  messageRevision?: number | undefined;
  /** Checked first: why the resource cannot be worked on yet (another task's output is missing), or null. */
  notReady?: (row: ResourceRow) => string | null;
}

/**
 * For data computed from the text: the text of the current content revision
 * is not there yet (first ingestion, or a content update still being
 * extracted). The ingestion task announces the text when it is.
 */
export function waitingForContent(row: ResourceRow): string | null {
  return row.ingestionStatus !== "completed" || !row.content ? "waiting for ingested content" : null;
}

/** The row to work on, or the `skipped` result to return. */
export async function loadUnlessDone(app: AppContext, id: string, guard: RevisionGuard): Promise<{ row: ResourceRow } | { skip: TaskResult }> {
  const row = await app.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
  if (!row) return { skip: { status: "skipped", reason: "resource deleted" } };
  const waiting = guard.notReady?.(row);
  if (waiting) return { skip: { status: "skipped", reason: waiting } };
  const kind = DERIVED[guard.datum];
  const current = row[kind.follows];
  if (guard.messageRevision !== undefined && current > guard.messageRevision) {
    return { skip: { status: "skipped", reason: `superseded by ${FOLLOWS_LABEL[kind.follows]} ${current}`, revision: guard.messageRevision } };
  }
  const computed = row[kind.computedFrom];
  if (computed >= current) return { skip: { status: "skipped", reason: "already current", revision: computed } };
  return { row };
}
