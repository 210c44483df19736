/**
 * The task ledger (`task_runs`) as tests read it: every row of a task and/or
 * resource, oldest first, typed by the schema itself so no test keeps its own
 * copy of the row's shape.
 */
import { and, asc, eq, gt, max, type SQL } from "drizzle-orm";
import type { Store } from "@shared/adapters/libsql/store";
import { taskRuns } from "@shared/adapters/libsql/schema";

export type LedgerRow = typeof taskRuns.$inferSelect;

export interface LedgerQuery {
  task?: string;
  resourceId?: string;
  /** Only rows written after this ledger id (see lastLedgerId). */
  afterId?: number;
  /** "id" (default): in the order written; "started": by start time, then id. */
  order?: "id" | "started";
}

export async function readLedger(store: Pick<Store, "db">, query: LedgerQuery = {}): Promise<LedgerRow[]> {
  const where: SQL[] = [];
  if (query.task !== undefined) where.push(eq(taskRuns.task, query.task));
  if (query.resourceId !== undefined) where.push(eq(taskRuns.resourceId, query.resourceId));
  if (query.afterId !== undefined) where.push(gt(taskRuns.id, query.afterId));
  const order = query.order === "started" ? [asc(taskRuns.startedAt), asc(taskRuns.id)] : [asc(taskRuns.id)];
  return store.db.select().from(taskRuns).where(and(...where)).orderBy(...order);
}

/** The newest ledger id now: a mark to read only what happens after it. */
export async function lastLedgerId(store: Pick<Store, "db">): Promise<number> {
  const [row] = await store.db.select({ m: max(taskRuns.id) }).from(taskRuns);
  return row?.m ?? 0;
}
