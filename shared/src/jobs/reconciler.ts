/**
 * The reconciler (docs/architecture.md, "Reconciler", every 5 minutes): the store is the truth,
 * messages are only triggers. A resource whose derived data still lags its
 * revisions well after its last change lost a trigger somewhere (a message
 * deleted, a queue purged, an outbox row never published); the reconciler
 * emits that trigger again, for exactly the lagging data, with the current
 * revisions. Every task checks revisions, so a duplicate trigger is a no-op.
 *
 * Two rules keep it from fighting the normal flow:
 * - grace: a datum counts as lagging only when the resource's last change is
 *   older than 2 × (its route's delay + batch window) + 60 s, so debounced
 *   and batched work is not duplicated while it is merely waiting;
 * - dead letters: work that was given up (ledger status `failed`) after the
 *   last change is held for a while (default 6 h), so a poison message is not
 *   re-queued every five minutes; DLQ replay is the fast path for it.
 */
import { and, asc, desc, eq, gt, inArray, sql } from "drizzle-orm";
import { citations, jobRuns, resources, taskRuns } from "../adapters/libsql/schema";
import { writeWithEvents, type Emit } from "../app/unitOfWork";
import { routeFor, type Route, type TaskName } from "../events/routing";
import { newId } from "../util/ids";
import type { AppContext } from "../app/context";
import type { Tx } from "../adapters/libsql/store";
import type { JobDefinition } from "./types";

export const RECONCILED_DATA = ["ingestion", "embedding", "searchIndex", "quality", "classification", "graph", "authors"] as const;
export type ReconciledDatum = (typeof RECONCILED_DATA)[number];

/** The task that produces each datum: its route sets the grace, its ledger rows show dead letters. */
export const TASK_OF: Readonly<Record<ReconciledDatum, TaskName>> = {
  ingestion: "ingestion",
  embedding: "embedding",
  searchIndex: "search-index",
  quality: "quality",
  classification: "classification",
  graph: "graph-edges",
  authors: "author-normalization",
};

export type LagRow = Pick<
  typeof resources.$inferSelect,
  | "id"
  | "ingestionStatus"
  | "revision"
  | "contentRevision"
  | "metadataRevision"
  | "embeddedRevision"
  | "embeddedModel"
  | "indexedRevision"
  | "qualityRevision"
  | "classifiedRevision"
  | "graphRevision"
  | "authorsRevision"
  | "authors"
  | "updatedAt"
>;

/**
 * Which data of a resource are behind its revisions, ignoring time. Failed
 * ingestion is final: nothing to derive. Vectors recorded as made by another
 * embedder than the configured one (`embedder`) are stale too: that is how a
 * change of embedder re-embeds the library in the background.
 */
export function staleData(row: LagRow, embedder?: string): ReconciledDatum[] {
  if (row.ingestionStatus === "pending" || row.ingestionStatus === "processing") return ["ingestion"];
  if (row.ingestionStatus !== "completed") return [];
  const out: ReconciledDatum[] = [];
  if (row.embeddedRevision < row.contentRevision || (embedder !== undefined && row.embeddedModel !== null && row.embeddedModel !== embedder)) out.push("embedding");
  if (row.indexedRevision < row.revision) out.push("searchIndex");
  if (row.qualityRevision < row.revision) out.push("quality");
  if (row.classifiedRevision < row.contentRevision) out.push("classification");
  if (row.graphRevision < row.contentRevision) out.push("graph");
  if (row.authorsRevision < row.metadataRevision && row.authors.length > 0) out.push("authors");
  return out;
}

/** The grace of a route: twice what it legitimately waits, plus a minute for the work itself. */
export function graceMsForRoute(route: Pick<Route, "delaySeconds" | "batchWindowSeconds">): number {
  return (2 * (route.delaySeconds + route.batchWindowSeconds) + 60) * 1000;
}

export function graceByDatum(routes: readonly Route[], override?: number): Record<ReconciledDatum, number> {
  const out = {} as Record<ReconciledDatum, number>;
  for (const d of RECONCILED_DATA) out[d] = override ?? graceMsForRoute(routeFor(TASK_OF[d], routes));
  return out;
}

/** The stale data of a resource whose grace has run out at `nowMs`. */
export function laggingData(row: LagRow, nowMs: number, grace: Readonly<Record<ReconciledDatum, number>>, embedder?: string): ReconciledDatum[] {
  const age = nowMs - Date.parse(row.updatedAt);
  return staleData(row, embedder).filter((d) => age >= grace[d]);
}

export interface ReconcilerOptions {
  /** One grace for every datum (tests); default: per route, see {@link graceMsForRoute}. */
  graceMs?: number;
  /** Resources re-queued per run at most; the next run continues after the last one. */
  limit?: number;
  /** How long given-up work is left to the dead-letter queue before it is re-queued anyway. */
  deadLetterHoldMs?: number;
  now?: () => number;
}

export const DEFAULT_RECONCILER_LIMIT = 500;
export const DEFAULT_DEAD_LETTER_HOLD_MS = 6 * 3600_000;

const LAG_COLUMNS = {
  id: resources.id,
  ingestionStatus: resources.ingestionStatus,
  revision: resources.revision,
  contentRevision: resources.contentRevision,
  metadataRevision: resources.metadataRevision,
  embeddedRevision: resources.embeddedRevision,
  embeddedModel: resources.embeddedModel,
  indexedRevision: resources.indexedRevision,
  qualityRevision: resources.qualityRevision,
  classifiedRevision: resources.classifiedRevision,
  graphRevision: resources.graphRevision,
  authorsRevision: resources.authorsRevision,
  authors: resources.authors,
  updatedAt: resources.updatedAt,
  contentHash: resources.contentHash,
  batchId: resources.batchId,
};

/** The same staleness test as {@link staleData}, in SQL, so the scan reads only candidates. */
const staleSql = (embedder: string) => sql`(
  ${resources.ingestionStatus} IN ('pending', 'processing')
  OR (${resources.ingestionStatus} = 'completed' AND (
    ${resources.embeddedRevision} < ${resources.contentRevision}
    OR (${resources.embeddedModel} IS NOT NULL AND ${resources.embeddedModel} != ${embedder})
    OR ${resources.indexedRevision} < ${resources.revision}
    OR ${resources.qualityRevision} < ${resources.revision}
    OR ${resources.classifiedRevision} < ${resources.contentRevision}
    OR ${resources.graphRevision} < ${resources.contentRevision}
    OR (${resources.authorsRevision} < ${resources.metadataRevision} AND ${resources.authors} != '[]')
  ))
)`;

/** Where the previous run stopped when it hit its limit. */
async function resumeAfter(app: AppContext): Promise<string | undefined> {
  const last = await app.store.db.query.jobRuns.findFirst({
    where: and(eq(jobRuns.job, "reconciler"), eq(jobRuns.status, "succeeded")),
    orderBy: desc(jobRuns.id),
  });
  const cursor = last?.summary?.nextCursor;
  return typeof cursor === "string" ? cursor : undefined;
}

/** (task, resource) pairs given up since the resource last changed, within the hold period. */
async function heldDeadLetters(app: AppContext, rows: readonly LagRow[], nowMs: number, holdMs: number): Promise<Set<string>> {
  const held = new Set<string>();
  if (rows.length === 0 || holdMs <= 0) return held;
  const since = new Date(nowMs - holdMs).toISOString();
  const failed = await app.store.db
    .select({ task: taskRuns.task, resourceId: taskRuns.resourceId, startedAt: taskRuns.startedAt })
    .from(taskRuns)
    .where(and(inArray(taskRuns.resourceId, rows.map((r) => r.id)), eq(taskRuns.status, "failed"), gt(taskRuns.startedAt, since)));
  const changedAt = new Map(rows.map((r) => [r.id, r.updatedAt]));
  for (const f of failed) {
    if (f.resourceId && f.startedAt >= (changedAt.get(f.resourceId) ?? "")) held.add(`${f.task}\u0000${f.resourceId}`);
  }
  return held;
}

type CandidateRow = LagRow & { contentHash: string | null; batchId: string | null };

async function emitTriggers(tx: Tx, emit: Emit, row: CandidateRow, data: readonly ReconciledDatum[]): Promise<ReconciledDatum[]> {
  const revs = { resourceId: row.id, revision: row.revision, contentRevision: row.contentRevision, metadataRevision: row.metadataRevision };
  const done: ReconciledDatum[] = [];
  for (const d of data) {
    switch (d) {
      case "ingestion":
        // A content update still to extract names its revision, as the PATCH's own message did.
        emit("ingestion.requested", { resourceId: row.id, batchId: row.batchId, ...(row.contentRevision > 0 ? { contentRevision: row.contentRevision } : {}) });
        break;
      case "embedding":
        if (!row.contentHash) continue; // ingested rows always have one; without it there is nothing to embed
        emit("resource.content_changed", { ...revs, contentHash: row.contentHash });
        break;
      case "searchIndex":
        // Nothing new changed: the trigger is re-announced, hence the empty list.
        emit("resource.updated", { ...revs, changed: [] });
        break;
      case "quality":
        emit("resource.metadata_changed", revs);
        break;
      case "classification":
        emit("embedding.generated", { resourceId: row.id, contentRevision: row.contentRevision, reused: false });
        break;
      case "graph": {
        const [n] = await tx.select({ n: sql<number>`count(*)` }).from(citations).where(eq(citations.sourceId, row.id));
        emit("citations.extracted", { resourceId: row.id, contentRevision: row.contentRevision, count: Number(n?.n ?? 0) });
        break;
      }
      case "authors":
        emit("authors.extracted", { resourceId: row.id, metadataRevision: row.metadataRevision, count: row.authors.length });
        break;
    }
    done.push(d);
  }
  return done;
}

export function createReconcilerJob(options: ReconcilerOptions = {}): JobDefinition {
  const limit = options.limit ?? DEFAULT_RECONCILER_LIMIT;
  const holdMs = options.deadLetterHoldMs ?? DEFAULT_DEAD_LETTER_HOLD_MS;
  const clock = options.now ?? Date.now;
  return {
    name: "reconciler",
    async run(app) {
      const nowMs = clock();
      const grace = graceByDatum(app.routes, options.graceMs);
      const newestChange = new Date(nowMs - Math.min(...Object.values(grace))).toISOString();
      const cursor = await resumeAfter(app);

      const scan = (after: string | undefined) =>
        app.store.db
          .select(LAG_COLUMNS)
          .from(resources)
          .where(and(sql`${resources.updatedAt} <= ${newestChange}`, staleSql(app.embedder.id), after ? gt(resources.id, after) : undefined))
          .orderBy(asc(resources.id))
          .limit(limit + 1);
      let candidates: CandidateRow[] = await scan(cursor);
      // The previous run stopped at its limit; when this pass finds nothing after the cursor, wrap around.
      if (cursor && candidates.length === 0) candidates = await scan(undefined);
      const capped = candidates.length > limit;
      candidates = candidates.slice(0, limit);

      const held = await heldDeadLetters(app, candidates, nowMs, holdMs);
      const requeued = Object.fromEntries(RECONCILED_DATA.map((d) => [d, 0])) as Record<ReconciledDatum, number>;
      let heldCount = 0;
      let resourcesRequeued = 0;

      await writeWithEvents(app, `job:reconciler:${newId()}`, async (tx, emit) => {
        // Re-read inside the transaction: triggers carry the revisions as they are now, and work that
        // completed since the scan is not re-queued.
        const ids = candidates.map((c) => c.id);
        const current: CandidateRow[] = ids.length ? await tx.select(LAG_COLUMNS).from(resources).where(inArray(resources.id, ids)) : [];
        for (const row of current) {
          const data = laggingData(row, nowMs, grace, app.embedder.id).filter((d) => {
            if (!held.has(`${TASK_OF[d]}\u0000${row.id}`)) return true;
            heldCount++;
            return false;
          });
          if (data.length === 0) continue;
          const done = await emitTriggers(tx, emit, row, data);
          for (const d of done) requeued[d]++;
          if (done.length > 0) resourcesRequeued++;
        }
      });

      return {
        scanned: candidates.length,
        resources: resourcesRequeued,
        requeued,
        heldAsDeadLetters: heldCount,
        capped,
        nextCursor: capped ? (candidates[candidates.length - 1]?.id ?? null) : null,
        graceSeconds: Object.fromEntries(Object.entries(grace).map(([d, ms]) => [d, ms / 1000])),
      };
    },
  };
}

export const reconcilerJob = createReconcilerJob();
