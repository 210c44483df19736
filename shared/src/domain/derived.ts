/**
 * The one table of derived data. Every datum a task derives from a resource
 * records the revision it was computed from, so "current" is a comparison:
 * `row[computedFrom] >= row[follows]`. Resource status, the freshness view,
 * the reconciler, the revision guard, the dashboard and the per-stage view all
 * read this table; adding a kind of derived data is one row here (plus its
 * column and its task). `test/unit/derivedTable.test.ts` proves each row's task
 * really writes its `computedFrom` column.
 */
import type { resources } from "../adapters/libsql/schema";
import type { TaskName } from "../events/routing";

type ResourceRow = typeof resources.$inferSelect;

/** The revisions a resource carries; each derived datum follows one of them. */
export type RevisionField = "revision" | "contentRevision" | "metadataRevision";

/** Columns of `resources` that record what a datum was computed from. */
export type ComputedFromField = "embeddedRevision" | "indexedRevision" | "qualityRevision" | "classifiedRevision" | "graphRevision" | "authorsRevision";

export interface DerivedKind {
  /** Which revision the datum follows: a newer one makes it stale. */
  follows: RevisionField;
  /** The column holding the revision it was last computed from. */
  computedFrom: ComputedFromField;
  /** The task that produces it (its route sets the reconciler's grace; its ledger rows show failures). */
  task: TaskName;
  /** Whether the datum exists at all for this resource (a resource without authors has none to normalise). */
  appliesTo?: (row: Pick<ResourceRow, "authors">) => boolean;
  /** The same test in SQL over `resources` (freshness view, reconciler scan). */
  appliesToSql?: string;
  /** Search facet whose cached results the datum changes (search filters and counts by it). */
  searchFacet?: "quality" | "categories" | "authors";
  /** Label on the dashboard. */
  label: string;
}

export const DERIVED = {
  embedding: { follows: "contentRevision", computedFrom: "embeddedRevision", task: "embedding", label: "embedding" },
  searchIndex: { follows: "revision", computedFrom: "indexedRevision", task: "search-index", label: "search index" },
  quality: { follows: "revision", computedFrom: "qualityRevision", task: "quality", searchFacet: "quality", label: "quality" },
  classification: { follows: "contentRevision", computedFrom: "classifiedRevision", task: "classification", searchFacet: "categories", label: "classification" },
  graph: { follows: "contentRevision", computedFrom: "graphRevision", task: "graph-edges", label: "graph edges" },
  authors: {
    follows: "metadataRevision",
    computedFrom: "authorsRevision",
    task: "author-normalization",
    appliesTo: (row) => row.authors.length > 0,
    appliesToSql: "authors != '[]'",
    searchFacet: "authors",
    label: "authors",
  },
} as const satisfies Record<string, DerivedKind>;

export type DerivedName = keyof typeof DERIVED;
export const DERIVED_NAMES = Object.keys(DERIVED) as DerivedName[];

export function derivedKind(name: DerivedName): DerivedKind {
  return DERIVED[name];
}

/** The fields of a resource row that freshness reads. */
export type FreshnessRow = Pick<ResourceRow, "ingestionStatus" | "authors" | RevisionField | ComputedFromField>;

/** The datum is behind the revision it follows (ingestion state aside). */
export function isBehind(name: DerivedName, row: FreshnessRow): boolean {
  const kind = derivedKind(name);
  if (kind.appliesTo && !kind.appliesTo(row)) return false;
  return row[kind.computedFrom] < row[kind.follows];
}

/** Current: ingested and computed from the revision it follows. */
export function isCurrent(name: DerivedName, row: FreshnessRow): boolean {
  return row.ingestionStatus === "completed" && !isBehind(name, row);
}

/** Kinds behind their revision, in table order. */
export function behindData(row: FreshnessRow): DerivedName[] {
  return DERIVED_NAMES.filter((d) => isBehind(d, row));
}

/** A SQL condition over `resources` that holds when the datum is behind (the columns' SQL names are passed in). */
export function behindSql(name: DerivedName, columnOf: (field: RevisionField | ComputedFromField) => string): string {
  const kind = derivedKind(name);
  const lag = `${columnOf(kind.computedFrom)} < ${columnOf(kind.follows)}`;
  return kind.appliesToSql ? `(${lag} AND ${kind.appliesToSql})` : `(${lag})`;
}

// ---------------------------------------------------------------- stages

export type StageState = "pending" | "done" | "failed" | "superseded";
export type StageName = "ingestion" | DerivedName;

export interface Stage {
  stage: StageName;
  task: TaskName;
  state: StageState;
  /** The revision the stage's output was computed from (0: never computed); for ingestion, the content revision. */
  computedFrom: number;
  /** The revision it has to be computed from to be current. */
  current: number;
}

/**
 * The pipeline of one resource, stage by stage:
 * - done: computed from the revision it follows (or nothing to compute);
 * - superseded: output exists but for an older revision, recomputation due;
 * - pending: never computed yet;
 * - failed: its task gave up since the resource last changed (`failedTasks`),
 *   or ingestion failed so there is nothing to derive from.
 */
export function stagesOf(row: FreshnessRow, failedTasks: ReadonlySet<TaskName> = new Set()): Stage[] {
  const ingestionState: StageState =
    row.ingestionStatus === "completed" ? "done" : row.ingestionStatus === "failed" || failedTasks.has("ingestion") ? "failed" : "pending";
  const out: Stage[] = [{ stage: "ingestion", task: "ingestion", state: ingestionState, computedFrom: row.contentRevision, current: row.contentRevision }];
  for (const name of DERIVED_NAMES) {
    const kind = derivedKind(name);
    const computedFrom = row[kind.computedFrom];
    const current = row[kind.follows];
    let state: StageState;
    if (row.ingestionStatus === "completed" && !isBehind(name, row)) state = "done";
    else if (row.ingestionStatus === "failed" || failedTasks.has(kind.task)) state = "failed";
    else if (computedFrom > 0 && computedFrom < current) state = "superseded";
    else state = "pending";
    out.push({ stage: name, task: kind.task, state, computedFrom, current });
  }
  return out;
}
