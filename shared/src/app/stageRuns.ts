/**
 * What the task ledger (`task_runs`) says about each stage of one resource
 * since it last changed: how many attempts, the last error (its class and
 * message) and the timings of the latest run. GET /resources/{id}/status adds
 * it to every stage, so "why did this fail" is one request.
 */
import { and, asc, eq, gte } from "drizzle-orm";
import { taskRuns, type resources } from "../adapters/libsql/schema";
import type { TaskName } from "../events/routing";
import type { AppContext } from "./context";

export interface StageRuns {
  /** Runs that did work or tried to (skips are guard checks, not attempts) since the resource last changed. */
  attempts: number;
  /** The error of the latest failed attempt, until an attempt succeeds. */
  lastError: { class: string; message: string; at: string } | null;
  /** The latest run: when it started and finished and how long it took. */
  lastRun: { status: string; startedAt: string; finishedAt: string | null; durationMs: number | null } | null;
}

const NONE: StageRuns = { attempts: 0, lastError: null, lastRun: null };

/** The error's class: the name a stack trace starts with (`PermanentError: …`), else "Error". */
export function errorClassOf(stack: string | null, message: string | null): string {
  const named = /^([A-Za-z_$][\w$]*)(?::|\s*$)/.exec(stack ?? "")?.[1];
  if (named) return named;
  return /^([a-z_]+):/.exec(message ?? "")?.[1] ?? "Error";
}

export async function stageRunsOf(ctx: AppContext, row: Pick<typeof resources.$inferSelect, "id" | "updatedAt">): Promise<(task: TaskName) => StageRuns> {
  const runs = await ctx.store.db
    .select({ task: taskRuns.task, status: taskRuns.status, error: taskRuns.error, stack: taskRuns.stack, startedAt: taskRuns.startedAt, finishedAt: taskRuns.finishedAt, durationMs: taskRuns.durationMs })
    .from(taskRuns)
    .where(and(eq(taskRuns.resourceId, row.id), gte(taskRuns.startedAt, row.updatedAt)))
    .orderBy(asc(taskRuns.id));
  const byTask = new Map<string, StageRuns>();
  for (const r of runs) {
    const s = byTask.get(r.task) ?? { attempts: 0, lastError: null, lastRun: null };
    if (r.status !== "skipped") s.attempts++;
    if (r.error !== null) s.lastError = { class: errorClassOf(r.stack, r.error), message: r.error, at: r.finishedAt ?? r.startedAt };
    // A later success answers the question "why is it not done": the error is history (the ledger keeps it).
    else if (r.status === "succeeded") s.lastError = null;
    s.lastRun = { status: r.status, startedAt: r.startedAt, finishedAt: r.finishedAt, durationMs: r.durationMs };
    byTask.set(r.task, s);
  }
  return (task) => byTask.get(task) ?? NONE;
}
