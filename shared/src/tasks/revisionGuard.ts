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

export type ResourceRow = typeof resources.$inferSelect;

const SOURCES = {
  revision: (r: ResourceRow) => r.revision,
  "content revision": (r: ResourceRow) => r.contentRevision,
  "metadata revision": (r: ResourceRow) => r.metadataRevision,
} as const;

export interface RevisionGuard {
  /** Which revision the derived datum follows. */
  follows: keyof typeof SOURCES;
  /** The revision the message was sent for; absent when the trigger carries none. */
  messageRevision?: number | undefined;
  /** The revision the datum was last computed from. */
  computed: (row: ResourceRow) => number;
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
  const current = SOURCES[guard.follows](row);
  if (guard.messageRevision !== undefined && current > guard.messageRevision) {
    return { skip: { status: "skipped", reason: `superseded by ${guard.follows} ${current}`, revision: guard.messageRevision } };
  }
  const computed = guard.computed(row);
  if (computed >= current) return { skip: { status: "skipped", reason: "already current", revision: computed } };
  return { row };
}
