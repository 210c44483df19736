/**
 * Citation rows of a resource. Replaced wholesale when its content changes;
 * `target_id` links are filled by the graph-edges task.
 */
import { eq } from "drizzle-orm";
import { citations } from "../adapters/libsql/schema";
import type { Tx } from "../adapters/libsql/store";
import type { Citation } from "../ingest/citations";

export async function replaceCitations(tx: Tx, resourceId: string, contentRevision: number, found: readonly Citation[]): Promise<void> {
  await tx.delete(citations).where(eq(citations.sourceId, resourceId));
  if (found.length === 0) return;
  const rows = found.slice(0, 1000).map((c) => ({ sourceId: resourceId, kind: c.kind, value: c.value, raw: c.raw.slice(0, 500), targetId: null, contentRevision }));
  for (let i = 0; i < rows.length; i += 100) {
    await tx.insert(citations).values(rows.slice(i, i + 100)).onConflictDoNothing();
  }
}
