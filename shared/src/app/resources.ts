/**
 * Resource use cases: create (ingestion is queued), update (emits exactly the
 * events that describe the change), read, list and freshness status. Deletion
 * is resourceDeletion.ts.
 */
import { and, desc, eq, gte, lt } from "drizzle-orm";
import { categories, resources, taskRuns, type ProvidedMetadata } from "../adapters/libsql/schema";
import { DERIVED, DERIVED_NAMES, isCurrent, stagesOf, type DerivedName, type Stage } from "../domain/derived";
import { TaskNames, type TaskName } from "../events/routing";
import { NotFoundError, HttpError } from "../errors";
import { newId } from "../util/ids";
import { CacheUnavailableError } from "../ports/cache";
import { makeEvent } from "../outbox/events";
import { stage } from "../outbox/outbox";
import { logger } from "../observability/logger";
import type { AppContext } from "./context";
import { writeWithEvents } from "./unitOfWork";
import { stageRunsOf, type StageRuns } from "./stageRuns";

export type ContentType = "text/plain" | "text/markdown" | "text/html" | "application/pdf";

export interface CreateResourceInput {
  url?: string;
  content?: string;
  contentType?: ContentType;
  title?: string;
  description?: string;
  authors?: string[];
  source?: string;
  batchId?: string | null;
  /** Kept from another library (import): the id and creation time it had there. */
  id?: string;
  createdAt?: string;
}

export interface UpdateResourceInput {
  title?: string;
  description?: string;
  authors?: string[];
  source?: string;
  content?: string;
  contentType?: Exclude<ContentType, "application/pdf">;
}

type ResourceRow = typeof resources.$inferSelect;

export async function createResource(ctx: AppContext, input: CreateResourceInput, correlationId: string): Promise<{ id: string; status: "pending" }> {
  const [created] = await createResources(ctx, [input], correlationId);
  return created!;
}

/** Creates resources in one transaction; each one's ingestion is queued. */
export async function createResources(ctx: AppContext, inputs: readonly CreateResourceInput[], correlationId: string): Promise<Array<{ id: string; status: "pending" }>> {
  const now = new Date().toISOString();
  const rows = inputs.map((input) => {
    const provided: ProvidedMetadata = {};
    if (input.title) provided.title = input.title;
    if (input.description) provided.description = input.description;
    if (input.authors?.length) provided.authors = input.authors;
    if (input.source) provided.source = input.source;
    return {
      id: input.id ?? newId(),
      url: input.url ?? null,
      source: input.source ?? null,
      title: input.title ?? null,
      description: input.description ?? null,
      authors: input.authors ?? [],
      inputUrl: input.url ?? null,
      inputContent: input.content ?? null,
      inputContentType: input.contentType ?? null,
      providedMetadata: provided,
      batchId: input.batchId ?? null,
      createdAt: input.createdAt ?? now,
      updatedAt: now,
    };
  });
  await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    for (const row of rows) {
      await tx.insert(resources).values(row);
      emit("resource.created", { resourceId: row.id, revision: 0 });
      emit("ingestion.requested", { resourceId: row.id, batchId: row.batchId });
    }
  });
  return rows.map((r) => ({ id: r.id, status: "pending" as const }));
}

export async function loadResource(ctx: AppContext, id: string): Promise<ResourceRow> {
  const row = await ctx.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
  if (!row) throw new NotFoundError(`resource ${id}`);
  return row;
}

/** The answer to a PATCH: the resource as it is now, and whether new content waits for extraction. */
export interface UpdateOutcome {
  view: ResourceView;
  /** The content sent is stored and queued for the ingestion task; its text, citations and derived data follow. */
  contentQueued: boolean;
}

/**
 * Applies a PATCH. Metadata changes are written and announced here. New
 * content is stored as sent and handed to the ingestion task: extraction
 * (parsing, citations) is CPU work for a worker, never for the request. Its
 * content revision is bumped now, so the answer names the revision to wait
 * for; until the task has written its text the resource is `pending` and the
 * tasks that read the text wait (revisionGuard.waitingForContent). Content
 * is compared as sent: the same bytes and type again change nothing. A
 * resource that was never ingested (its ingestion failed) starts its
 * ingestion again from the new content.
 */
export async function updateResource(ctx: AppContext, id: string, patch: UpdateResourceInput, correlationId: string): Promise<UpdateOutcome> {
  const current = await loadResource(ctx, id);
  const contentType = patch.contentType ?? "text/plain";
  const stillIngesting = (row: ResourceRow) => row.contentRevision === 0 && (row.ingestionStatus === "pending" || row.ingestionStatus === "processing");
  const contentChanged = patch.content !== undefined && (patch.content !== current.inputContent || contentType !== current.inputContentType);
  if (contentChanged && stillIngesting(current)) {
    throw new HttpError(409, "resource is still being ingested; update its content once ingestion has completed");
  }
  const metadataChanges: Partial<ResourceRow> = {};
  if (patch.title !== undefined && patch.title !== current.title) metadataChanges.title = patch.title;
  if (patch.description !== undefined && patch.description !== current.description) metadataChanges.description = patch.description;
  if (patch.source !== undefined && patch.source !== current.source) metadataChanges.source = patch.source;
  if (patch.authors !== undefined && JSON.stringify(patch.authors) !== JSON.stringify(current.authors)) metadataChanges.authors = patch.authors;
  const metadataChanged = Object.keys(metadataChanges).length > 0;
  if (!contentChanged && !metadataChanged) return { view: toView(current, await categoriesOf(ctx, id)), contentQueued: false };

  await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    // Re-read inside the transaction: revisions are bumped from the stored value, never from a stale copy.
    const row = await tx.query.resources.findFirst({ where: eq(resources.id, id) });
    if (!row) throw new NotFoundError(`resource ${id}`);
    if (contentChanged && stillIngesting(row)) throw new HttpError(409, "resource is still being ingested; update its content once ingestion has completed");
    // Never ingested: the new content is simply what ingestion starts from (content revision 1 when it succeeds).
    const bumpContent = contentChanged && row.contentRevision > 0;
    const revision = row.revision + 1;
    const contentRevision = row.contentRevision + (bumpContent ? 1 : 0);
    const metadataRevision = row.metadataRevision + (metadataChanged ? 1 : 0);
    const provided = { ...row.providedMetadata };
    if (metadataChanges.title !== undefined) provided.title = metadataChanges.title ?? undefined;
    if (metadataChanges.description !== undefined) provided.description = metadataChanges.description ?? undefined;
    if (metadataChanges.source !== undefined) provided.source = metadataChanges.source ?? undefined;
    if (metadataChanges.authors !== undefined) provided.authors = metadataChanges.authors;
    await tx
      .update(resources)
      .set({
        ...metadataChanges,
        ...(contentChanged ? { inputContent: patch.content!, inputContentType: contentType, inputUrl: null, ingestionStatus: "pending" as const, ingestionError: null } : {}),
        providedMetadata: provided,
        revision,
        contentRevision,
        metadataRevision,
        updatedAt: new Date().toISOString(),
      })
      .where(eq(resources.id, id));
    const revs = { resourceId: id, revision, contentRevision, metadataRevision };
    // The content's own events (resource.updated, content_changed, citations.extracted) come from the ingestion task once its text is there.
    if (contentChanged) emit("ingestion.requested", { resourceId: id, batchId: row.batchId, ...(bumpContent ? { contentRevision } : {}) });
    if (metadataChanged) {
      emit("resource.updated", { ...revs, changed: ["metadata"] });
      emit("resource.metadata_changed", revs);
    }
    if (metadataChanges.authors !== undefined) emit("authors.extracted", { resourceId: id, metadataRevision, count: metadataChanges.authors?.length ?? 0 });
  });
  await invalidateNow(ctx, [`resource:${id}`], correlationId);
  const updated = await loadResource(ctx, id);
  return { view: toView(updated, await categoriesOf(ctx, id)), contentQueued: contentChanged };
}

/**
 * Invalidates before the caller answers, so a read after the answer never sees
 * the old value. If Redis is unreachable the request still succeeds and the
 * invalidation is queued (the cache-invalidation task retries it).
 */
export async function invalidateNow(ctx: AppContext, tags: string[], correlationId: string): Promise<void> {
  try {
    await ctx.cache.invalidate({ tags });
  } catch (e) {
    if (!(e instanceof CacheUnavailableError)) logger.warn("cache invalidation failed", { error: String(e) });
    const event = makeEvent("cache.invalidation_requested", { keys: [], tags, patterns: [] }, correlationId);
    await ctx.store.write(async (tx) => {
      await stage(tx, [event]);
    });
    await ctx.relay.afterCommit([event]);
  }
}

export interface ResourceView {
  id: string;
  url: string | null;
  title: string | null;
  description: string | null;
  authors: string[];
  language: string | null;
  contentType: string | null;
  source: string | null;
  ingestion: { status: string; error: string | null; ingestedAt: string | null };
  revision: number;
  contentRevision: number;
  metadataRevision: number;
  contentLength: number;
  quality: { score: number | null; dimensions: Record<string, number> | null };
  categories: Array<{ category: string; confidence: number; source: string }>;
  /** The resource this one is a near-copy of, with the estimated similarity of their texts (docs/duplicates.md). */
  duplicateOf: { id: string; similarity: number } | null;
  createdAt: string;
  updatedAt: string;
}

export async function categoriesOf(ctx: AppContext, id: string) {
  return ctx.store.db
    .select({ category: categories.category, confidence: categories.confidence, source: categories.source })
    .from(categories)
    .where(eq(categories.resourceId, id))
    .orderBy(desc(categories.confidence));
}

export function toView(row: ResourceRow, cats: ResourceView["categories"]): ResourceView {
  return {
    id: row.id,
    url: row.url,
    title: row.title,
    description: row.description,
    authors: row.authors,
    language: row.language,
    contentType: row.contentType,
    source: row.source,
    ingestion: { status: row.ingestionStatus, error: row.ingestionError, ingestedAt: row.ingestedAt },
    revision: row.revision,
    contentRevision: row.contentRevision,
    metadataRevision: row.metadataRevision,
    contentLength: row.content?.length ?? 0,
    quality: { score: row.qualityScore, dimensions: row.qualityDimensions ?? null },
    categories: cats,
    duplicateOf: row.duplicateOf ? { id: row.duplicateOf, similarity: row.duplicateSimilarity ?? 0 } : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** A resource as the API shows it, read through the cache. */
export async function getResourceView(ctx: AppContext, id: string): Promise<ResourceView> {
  ctx.popularity?.resourceRead(id);
  return ctx.cache.getOrLoad("resource", id, async () => toView(await loadResource(ctx, id), await categoriesOf(ctx, id)), { tags: [`resource:${id}`] });
}

export interface ResourceContent {
  id: string;
  contentRevision: number;
  /** The text extracted at ingestion (null until ingestion has completed). */
  content: string | null;
  contentType: string | null;
  /** Where it came from: the URL it was fetched from, else the source given (a file path for files added by the CLI). */
  url: string | null;
  source: string | null;
}

/** The stored text of a resource, as extraction left it and search reads it. */
export async function getResourceContent(ctx: AppContext, id: string): Promise<ResourceContent> {
  const row = await loadResource(ctx, id);
  return { id, contentRevision: row.contentRevision, content: row.content, contentType: row.contentType, url: row.url, source: row.source };
}

export async function listResources(ctx: AppContext, opts: { limit: number; cursor?: string | undefined; status?: string | undefined }) {
  const conditions = [];
  if (opts.cursor) conditions.push(lt(resources.id, opts.cursor));
  if (opts.status) conditions.push(eq(resources.ingestionStatus, opts.status as ResourceRow["ingestionStatus"]));
  const rows = await ctx.store.db
    .select()
    .from(resources)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(resources.id))
    .limit(opts.limit + 1);
  const page = rows.slice(0, opts.limit);
  return {
    items: page.map((r) => toView(r, [])),
    nextCursor: rows.length > opts.limit ? (page[page.length - 1]?.id ?? null) : null,
  };
}

export interface ResourceStatus {
  id: string;
  ingestion: { status: string; error: string | null };
  revision: number;
  contentRevision: number;
  metadataRevision: number;
  /** Every kind of derived data (domain/derived.ts): the revision it was computed from and whether that is current. */
  derived: Record<DerivedName, { revision: number; current: boolean }>;
  /** The pipeline stage by stage (domain/derived.ts `stagesOf`), with what the task ledger says of each (app/stageRuns.ts). */
  stages: Array<Stage & Partial<StageRuns>>;
  upToDate: boolean;
  /** The resource's latest task run, when it failed and will be tried again: what waits, and why. */
  retrying?: { task: string; attempt: number; error: string | null; at: string } | null;
}

/** Freshness is a comparison of revisions: derived data records what it was computed from. */
export function statusOf(row: ResourceRow, failedTasks?: ReadonlySet<TaskName>): ResourceStatus {
  const derived = Object.fromEntries(
    DERIVED_NAMES.map((d) => [d, { revision: row[DERIVED[d].computedFrom], current: isCurrent(d, row) }]),
  ) as Record<DerivedName, { revision: number; current: boolean }>;
  return {
    id: row.id,
    ingestion: { status: row.ingestionStatus, error: row.ingestionError },
    revision: row.revision,
    contentRevision: row.contentRevision,
    metadataRevision: row.metadataRevision,
    derived,
    stages: stagesOf(row, failedTasks),
    upToDate: row.ingestionStatus === "completed" && DERIVED_NAMES.every((d) => derived[d].current),
  };
}

/** Tasks whose latest attempt on the resource, since its last change, was given up. */
export async function failedTasksOf(ctx: AppContext, row: Pick<ResourceRow, "id" | "updatedAt">): Promise<Set<TaskName>> {
  const runs = await ctx.store.db
    .select({ task: taskRuns.task, status: taskRuns.status })
    .from(taskRuns)
    .where(and(eq(taskRuns.resourceId, row.id), gte(taskRuns.startedAt, row.updatedAt)))
    .orderBy(desc(taskRuns.id));
  const latest = new Map<string, string>();
  for (const r of runs) if (!latest.has(r.task)) latest.set(r.task, r.status);
  return new Set(TaskNames.filter((t) => latest.get(t) === "failed"));
}

export async function getStatus(ctx: AppContext, id: string): Promise<ResourceStatus> {
  const row = await loadResource(ctx, id);
  const base = statusOf(row, await failedTasksOf(ctx, row));
  const runsOf = await stageRunsOf(ctx, row);
  const status = { ...base, stages: base.stages.map((s) => ({ ...s, ...runsOf(s.task) })) };
  // What waits, and why: the latest task run, when it failed and will be tried again (the CLI shows it).
  const [last] = await ctx.store.db.select().from(taskRuns).where(eq(taskRuns.resourceId, id)).orderBy(desc(taskRuns.id)).limit(1);
  const retrying = last?.status === "retrying" && !status.upToDate ? { task: last.task, attempt: last.attempt, error: last.error, at: last.finishedAt ?? last.startedAt } : null;
  return { ...status, retrying };
}
