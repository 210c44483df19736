/**
 * Reprocess: re-run chosen stages of a resource (default: the failed ones),
 * one resource or many as a tracked batch. No side path: each stage is woken
 * by re-announcing, with the resource's current revisions, the event its task
 * already consumes (the table below), so the task runs with its usual guards,
 * retries, ledger rows and DLQ. A stage that failed has not recorded the
 * revision it follows (a stage is "done" only when its output is computed from
 * the current revision), so the task's revision guard does not skip the
 * re-announced event as "already current". A done stage is never re-run: there
 * is nothing to do (409).
 */
import { and, eq, gte, inArray, isNotNull } from "drizzle-orm";
import { batches, resources, taskRuns } from "../adapters/libsql/schema";
import { DERIVED_NAMES, type StageName } from "../domain/derived";
import type { EventName } from "../events/catalogue";
import { HttpError, NotFoundError } from "../errors";
import { newId } from "../util/ids";
import type { AppContext } from "./context";
import { failedTasksOf, getStatus, loadResource, statusOf } from "./resources";
import { stageRunsOf } from "./stageRuns";
import { writeWithEvents, type Emit } from "./unitOfWork";
import type { Tx } from "../adapters/libsql/store";

export const STAGE_NAMES: readonly StageName[] = ["ingestion", ...DERIVED_NAMES];

type ResourceRow = typeof resources.$inferSelect;

/** The event each stage's task consumes that wakes the fewest other tasks (those it does wake find their datum current and skip). */
const WAKE_EVENT: Record<StageName, EventName> = {
  ingestion: "ingestion.requested",
  embedding: "resource.content_changed",
  searchIndex: "resource.updated",
  quality: "resource.metadata_changed",
  classification: "embedding.generated",
  graph: "citations.extracted",
  authors: "authors.extracted",
};

export interface ReprocessOutcome {
  id: string;
  /** The stages re-run. */
  stages: StageName[];
  requestedAt: string;
}

/** The stages of a row to re-run: those asked for that are not done (default: the failed ones); empty when nothing is to do. */
async function stagesToRun(ctx: AppContext, row: ResourceRow, asked: readonly StageName[] | undefined): Promise<StageName[]> {
  const stages = statusOf(row, await failedTasksOf(ctx, row)).stages;
  const chosen = stages.filter((s) => (asked ? asked.includes(s.stage) && s.state !== "done" : s.state === "failed")).map((s) => s.stage);
  // Derived data is computed from the ingested text: re-ingesting wakes every stage after it.
  return chosen.includes("ingestion") ? ["ingestion"] : chosen;
}

/** Announces, in the transaction, the events that wake the stages' tasks with the current revisions. */
async function wakeStages(tx: Tx, emit: Emit, id: string, stages: readonly StageName[]): Promise<void> {
  const row = await tx.query.resources.findFirst({ where: eq(resources.id, id) });
  if (!row) throw new NotFoundError(`resource ${id}`);
  const revs = { resourceId: id, revision: row.revision, contentRevision: row.contentRevision, metadataRevision: row.metadataRevision };
  const events = new Set(stages.map((s) => WAKE_EVENT[s]));
  for (const name of events) {
    switch (name) {
      case "ingestion.requested":
        // A failed ingestion starts again from what the client sent (as after a PATCH of its content).
        await tx.update(resources).set({ ingestionStatus: "pending", ingestionError: null }).where(eq(resources.id, id));
        emit("ingestion.requested", { resourceId: id, batchId: row.batchId, ...(row.contentRevision > 0 ? { contentRevision: row.contentRevision } : {}) });
        break;
      case "resource.content_changed":
        emit("resource.content_changed", { ...revs, contentHash: row.contentHash ?? "" });
        break;
      case "resource.updated":
        emit("resource.updated", { ...revs, changed: ["content"] });
        break;
      case "resource.metadata_changed":
        emit("resource.metadata_changed", revs);
        break;
      case "embedding.generated":
        emit("embedding.generated", { resourceId: id, contentRevision: row.contentRevision, reused: false });
        break;
      case "citations.extracted":
        emit("citations.extracted", { resourceId: id, contentRevision: row.contentRevision, count: 0 });
        break;
      case "authors.extracted":
        emit("authors.extracted", { resourceId: id, metadataRevision: row.metadataRevision, count: row.authors.length });
        break;
      default:
        throw new Error(`no way to wake ${name}`);
    }
  }
}

/** Re-runs stages of one resource. 409 when none of the stages asked for (default: the failed ones) has anything to do. */
export async function reprocessResource(ctx: AppContext, id: string, asked: readonly StageName[] | undefined, correlationId: string): Promise<ReprocessOutcome> {
  const row = await loadResource(ctx, id);
  const stages = await stagesToRun(ctx, row, asked);
  if (stages.length === 0) {
    throw new HttpError(409, asked ? `nothing to reprocess: stage(s) ${asked.join(", ")} of resource ${id} are already done` : `nothing to reprocess: no stage of resource ${id} failed`);
  }
  if (row.ingestionStatus !== "completed" && !stages.includes("ingestion")) {
    throw new HttpError(409, `resource ${id} has not been ingested (ingestion ${row.ingestionStatus}); reprocess its ingestion stage first`);
  }
  const requestedAt = new Date().toISOString();
  await writeWithEvents(ctx, correlationId, (tx, emit) => wakeStages(tx, emit, id, stages));
  return { id, stages, requestedAt };
}

export interface ReprocessFilter {
  /** Only "failed" for now: resources with at least one failed stage. */
  status: "failed";
  /** Only this stage (also the one re-run); default: every failed stage. */
  stage?: StageName | undefined;
  /** Only failures whose last error has this class (app/stageRuns.ts `errorClassOf`). */
  errorClass?: string | undefined;
  /** Only resources changed or failed since this time (ISO 8601). */
  since?: string | undefined;
}

/** Most resources one bulk request reprocesses: the batch row keeps their ids. */
export const MAX_BULK = 1000;

/** Resources matching the filter, each with the stages to re-run. */
async function matching(ctx: AppContext, filter: ReprocessFilter): Promise<Array<{ id: string; stages: StageName[] }>> {
  // Candidates: ingestion failed, or some task failed on the resource (its latest run is checked per resource below).
  const since = filter.since ?? "";
  const failedIngestion = await ctx.store.db
    .select({ id: resources.id })
    .from(resources)
    .where(and(eq(resources.ingestionStatus, "failed"), gte(resources.updatedAt, since)));
  const failedRuns = await ctx.store.db
    .selectDistinct({ id: taskRuns.resourceId })
    .from(taskRuns)
    .where(and(eq(taskRuns.status, "failed"), isNotNull(taskRuns.resourceId), gte(taskRuns.startedAt, since)));
  const ids = [...new Set([...failedIngestion.map((r) => r.id), ...failedRuns.map((r) => r.id!)])];
  const out: Array<{ id: string; stages: StageName[] }> = [];
  for (let i = 0; i < ids.length; i += 200) {
    const rows = await ctx.store.db.select().from(resources).where(inArray(resources.id, ids.slice(i, i + 200)));
    for (const row of rows) {
      const failed = statusOf(row, await failedTasksOf(ctx, row)).stages.filter((s) => s.state === "failed");
      const runsOf = filter.errorClass ? await stageRunsOf(ctx, row) : null;
      let stages = failed.filter((s) => !filter.stage || s.stage === filter.stage).filter((s) => !runsOf || runsOf(s.task).lastError?.class === filter.errorClass);
      if (stages.some((s) => s.stage === "ingestion")) stages = stages.filter((s) => s.stage === "ingestion");
      // Derived stages cannot run before the text is there: a resource whose ingestion failed is re-run from ingestion only.
      else if (row.ingestionStatus !== "completed") stages = [];
      if (stages.length > 0) out.push({ id: row.id, stages: stages.map((s) => s.stage) });
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/** Reprocesses every matching resource as a batch (GET /batches/{id} follows it). 409 when nothing matches. */
export async function reprocessMatching(ctx: AppContext, filter: ReprocessFilter, correlationId: string): Promise<{ batchId: string; total: number; items: Array<{ id: string; stages: StageName[] }> }> {
  const items = await matching(ctx, filter);
  if (items.length === 0) throw new HttpError(409, "nothing to reprocess: no resource has a failed stage matching the filter");
  if (items.length > MAX_BULK) throw new HttpError(400, `${items.length} resources match; narrow the filter (stage, errorClass, since) to at most ${MAX_BULK}`);
  const batchId = newId();
  const stageSet = [...new Set(items.flatMap((i) => i.stages))];
  await ctx.store.write((tx) => tx.insert(batches).values({ id: batchId, total: items.length, createdAt: new Date().toISOString(), resourceIds: items.map((i) => i.id), stages: stageSet }));
  for (const item of items) await writeWithEvents(ctx, correlationId, (tx, emit) => wakeStages(tx, emit, item.id, item.stages));
  void ctx.emitter.emit("batch.created", { batchId, total: items.length }, { correlationId });
  return { batchId, total: items.length, items };
}

/** Whether a resource's reprocessing is over: each stage re-run is done, or failed again since the request. */
export async function reprocessState(ctx: AppContext, id: string, stages: readonly StageName[], requestedAt: string): Promise<"done" | "failed" | "pending"> {
  const status = await getStatus(ctx, id);
  const watched = status.stages.filter((s) => stages.includes(s.stage) || stages.includes("ingestion"));
  if (watched.every((s) => s.state === "done")) return "done";
  // Ingestion was set back to pending by the request: failed again is failed. A derived stage failed again when its latest run is newer than the request.
  const failedAgain = watched.some((s) => s.state === "failed" && (s.stage === "ingestion" || (s.lastRun?.startedAt ?? "") >= requestedAt));
  return failedAgain ? "failed" : "pending";
}
