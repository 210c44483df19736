/**
 * Drizzle table definitions: the typed view of the store. The DDL lives in
 * `shared/migrations/*.sql` (drizzle cannot declare FTS5 tables or vector
 * columns); `test/unit/schema.test.ts` checks the two agree.
 *
 * Every derived datum records the revision it was computed from, so freshness
 * is a comparison and every task is idempotent (docs/architecture.md, "Debounce and idempotence by revision").
 */
import { sql } from "drizzle-orm";
import { integer, primaryKey, real, sqliteTable, text, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { SeriesSample } from "../../observability/runtime";

/**
 * A resource not yet current: being ingested, or ingested with a derived datum behind its revision.
 * The WHERE of the partial index `resources_not_current_idx` (migration 0021); SQLite uses that index only
 * for a query whose WHERE contains this very term, so queries take it from here.
 */
export const RESOURCES_NOT_CURRENT = `ingestion_status IN ('pending', 'processing')
  OR (ingestion_status = 'completed' AND (embedded_revision < content_revision OR indexed_revision < revision OR quality_revision < revision OR classified_revision < content_revision))`;

export const resources = sqliteTable(
  "resources",
  {
    id: text("id").primaryKey(),
    url: text("url"),
    source: text("source"),
    title: text("title"),
    description: text("description"),
    /** Author names as given or extracted (JSON array of strings). */
    authors: text("authors", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    language: text("language"),
    contentType: text("content_type"),
    /** What the client sent: a URL to fetch, or content (base64 for PDF). Kept so ingestion can be retried. */
    inputUrl: text("input_url"),
    inputContent: text("input_content"),
    inputContentType: text("input_content_type"),
    /** Metadata the client supplied wins over extracted metadata. */
    providedMetadata: text("provided_metadata", { mode: "json" }).$type<ProvidedMetadata>().notNull().default(sql`'{}'`),
    content: text("content"),
    contentHash: text("content_hash"),
    /** Bumped on every change; search index and quality follow it. */
    revision: integer("revision").notNull().default(0),
    contentRevision: integer("content_revision").notNull().default(0),
    metadataRevision: integer("metadata_revision").notNull().default(0),
    ingestionStatus: text("ingestion_status").$type<IngestionStatus>().notNull().default("pending"),
    ingestionError: text("ingestion_error"),
    ingestedAt: text("ingested_at"),
    embeddedRevision: integer("embedded_revision").notNull().default(0),
    /** Embedder (id, version included) of the vectors at embeddedRevision; a different configured embedder makes them stale. */
    embeddedModel: text("embedded_model"),
    indexedRevision: integer("indexed_revision").notNull().default(0),
    /** Revision whose text the FTS row holds; ahead of indexedRevision while its cache invalidation is unfinished. */
    ftsRevision: integer("fts_revision").notNull().default(0),
    qualityRevision: integer("quality_revision").notNull().default(0),
    qualityScore: real("quality_score"),
    qualityDimensions: text("quality_dimensions", { mode: "json" }).$type<Record<string, number>>(),
    classifiedRevision: integer("classified_revision").notNull().default(0),
    graphRevision: integer("graph_revision").notNull().default(0),
    authorsRevision: integer("authors_revision").notNull().default(0),
    batchId: text("batch_id"),
    /** The resource this one is a near-copy of (docs/duplicates.md), and the estimated similarity of their texts. */
    duplicateOf: text("duplicate_of"),
    duplicateSimilarity: real("duplicate_similarity"),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [
    index("resources_hash_idx").on(t.contentHash), index("resources_batch_idx").on(t.batchId), index("resources_created_idx").on(t.createdAt, t.id), index("resources_duplicate_idx").on(t.duplicateOf),
    // Search's duplicate check from the index alone (migration 0027).
    index("resources_id_duplicate_idx").on(t.id, t.duplicateOf),
    index("resources_not_current_idx")
      .on(t.updatedAt, t.ingestionStatus, t.embeddedRevision, t.contentRevision, t.indexedRevision, t.revision, t.qualityRevision, t.classifiedRevision)
      .where(sql.raw(RESOURCES_NOT_CURRENT)),
  ],
);

export type IngestionStatus = "pending" | "processing" | "completed" | "failed";
export interface ProvidedMetadata {
  title?: string;
  description?: string;
  authors?: string[];
  source?: string;
}

export const citations = sqliteTable(
  "citations",
  {
    sourceId: text("source_id").notNull(),
    kind: text("kind").$type<"url" | "doi" | "arxiv">().notNull(),
    value: text("value").notNull(),
    raw: text("raw").notNull(),
    targetId: text("target_id"),
    contentRevision: integer("content_revision").notNull(),
  },
  (t) => [primaryKey({ columns: [t.sourceId, t.kind, t.value] }), index("citations_target_idx").on(t.kind, t.value)],
);

/** The keys (url, doi, arxiv) a resource is known by, so later citations find it. */
export const resourceKeys = sqliteTable(
  "resource_keys",
  {
    kind: text("kind").notNull(),
    value: text("value").notNull(),
    resourceId: text("resource_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.value, t.resourceId] }), index("resource_keys_resource_idx").on(t.resourceId)],
);

export const authors = sqliteTable(
  "authors",
  {
    id: text("id").primaryKey(),
    key: text("key").notNull(),
    canonicalName: text("canonical_name").notNull(),
    variants: text("variants", { mode: "json" }).$type<string[]>().notNull(),
  },
  (t) => [index("authors_key_idx").on(t.key)],
);

export const resourceAuthors = sqliteTable(
  "resource_authors",
  {
    resourceId: text("resource_id").notNull(),
    position: integer("position").notNull(),
    authorId: text("author_id").notNull(),
    rawName: text("raw_name").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.position] }), index("resource_authors_author_idx").on(t.authorId)],
);

export const categories = sqliteTable(
  "categories",
  {
    resourceId: text("resource_id").notNull(),
    category: text("category").notNull(),
    source: text("source").$type<"predicted" | "manual">().notNull(),
    confidence: real("confidence").notNull(),
    modelVersion: integer("model_version"),
    contentRevision: integer("content_revision").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.source, t.category] })],
);

export const interactions = sqliteTable(
  "interactions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: text("user_id").notNull(),
    resourceId: text("resource_id").notNull(),
    type: text("type").notNull(),
    strength: real("strength").notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("interactions_user_idx").on(t.userId, t.createdAt)],
);

export const userProfiles = sqliteTable("user_profiles", {
  userId: text("user_id").primaryKey(),
  /** Counted in the same write as each interaction: the every-10th rule reads it. */
  interactionCount: integer("interaction_count").notNull().default(0),
  refreshedCount: integer("refreshed_count").notNull().default(0),
  refreshCount: integer("refresh_count").notNull().default(0),
  vector: text("vector", { mode: "json" }).$type<number[]>(),
  topResourceIds: text("top_resource_ids", { mode: "json" }).$type<string[]>(),
  refreshedAt: text("refreshed_at"),
});

export const outbox = sqliteTable(
  "outbox",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    payload: text("payload", { mode: "json" }).$type<unknown>().notNull(),
    meta: text("meta", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull(),
    publishedAt: text("published_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("outbox_pending_idx").on(t.publishedAt, t.createdAt)],
);

export const taskRuns = sqliteTable(
  "task_runs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    task: text("task").notNull(),
    resourceId: text("resource_id"),
    messageId: text("message_id"),
    attempt: integer("attempt").notNull(),
    status: text("status").$type<TaskStatus>().notNull(),
    startedAt: text("started_at").notNull(),
    finishedAt: text("finished_at"),
    durationMs: real("duration_ms"),
    error: text("error"),
    stack: text("stack"),
    correlationId: text("correlation_id"),
    revision: integer("revision"),
    detail: text("detail"),
    /** The event the message carried: a second delivery of one event (a publish retried after an ambiguous timeout) is recognised by it. */
    eventId: text("event_id"),
  },
  (t) => [
    index("task_runs_task_idx").on(t.task, t.id),
    index("task_runs_resource_idx").on(t.resourceId, t.id),
    index("task_runs_started_idx").on(t.startedAt),
    index("task_runs_event_idx").on(t.eventId, t.task),
  ],
);
export type TaskStatus = "running" | "succeeded" | "skipped" | "retrying" | "failed";

export const batches = sqliteTable("batches", {
  id: text("id").primaryKey(),
  total: integer("total").notNull(),
  createdAt: text("created_at").notNull(),
  /** A reprocess batch (app/reprocess.ts) names its resources and the stages it re-runs; an ingest batch has neither (its resources carry its id). */
  resourceIds: text("resource_ids", { mode: "json" }).$type<string[]>(),
  stages: text("stages", { mode: "json" }).$type<string[]>(),
});

export const classifierModels = sqliteTable("classifier_models", {
  version: integer("version").primaryKey(),
  trainedAt: text("trained_at").notNull(),
  labelsFingerprint: text("labels_fingerprint").notNull(),
  accuracy: real("accuracy").notNull(),
  examples: integer("examples").notNull(),
  model: text("model").notNull(),
  active: integer("active", { mode: "boolean" }).notNull().default(false),
  /**
   * `category NUL sha256(text)` of every example the version learned from, so
   * the retraining job can rebuild its label set on a new held-out split and
   * compare like with like. Null for versions trained before this column.
   */
  labelKeys: text("label_keys", { mode: "json" }).$type<string[]>(),
});

export const qualityFlags = sqliteTable(
  "quality_flags",
  {
    resourceId: text("resource_id").notNull(),
    kind: text("kind").$type<"degraded" | "outlier">().notNull(),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.kind] })],
);

/** Last known quality per resource as seen by the degradation job. */
export const qualitySnapshots = sqliteTable("quality_snapshots", {
  resourceId: text("resource_id").primaryKey(),
  score: real("score").notNull(),
  takenAt: text("taken_at").notNull(),
});

export const jobRuns = sqliteTable("job_runs", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  job: text("job").notNull(),
  startedAt: text("started_at").notNull(),
  finishedAt: text("finished_at"),
  status: text("status").notNull(),
  summary: text("summary", { mode: "json" }).$type<Record<string, unknown>>(),
});

export const resourceStats = sqliteTable("resource_stats", {
  resourceId: text("resource_id").primaryKey(),
  reads: integer("reads").notNull().default(0),
});

export const queryStats = sqliteTable(
  "query_stats",
  {
    query: text("query").notNull(),
    mode: text("mode").notNull(),
    count: integer("count").notNull().default(0),
    lastAt: text("last_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.query, t.mode] })],
);

/**
 * The passages of a resource's indexed text (domain/passages.ts), replaced
 * with its FTS row in one transaction. `id` is the rowid of `passages_fts`
 * (heading, body: migration 0006) and is never reused.
 */
export const passages = sqliteTable(
  "passages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    resourceId: text("resource_id").notNull(),
    contentRevision: integer("content_revision").notNull(),
    ordinal: integer("ordinal").notNull(),
  },
  (t) => [uniqueIndex("passages_resource_idx").on(t.resourceId, t.ordinal)],
);

/**
 * Small facts about the library as a whole: which embedder rankings use (`serving_embedder`), the
 * tag models' last retraining request and run (`tag_suggestions.requested`, `.trained`: app/tags.ts).
 */
export const searchState = sqliteTable("search_state", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** MinHash signature of a resource's text (domain/fingerprint.ts), hex, and the content revision it was computed from. */
export const resourceFingerprints = sqliteTable("resource_fingerprints", {
  resourceId: text("resource_id").primaryKey(),
  contentRevision: integer("content_revision").notNull(),
  signature: text("signature").notNull(),
});

/** LSH band keys of each signature: resources sharing a key are near-duplicate candidates. */
export const fingerprintBands = sqliteTable(
  "fingerprint_bands",
  {
    bandKey: text("band_key").notNull(),
    resourceId: text("resource_id").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bandKey, t.resourceId] }), index("fingerprint_bands_resource_idx").on(t.resourceId)],
);

export const schema = {
  resources,
  citations,
  resourceKeys,
  authors,
  resourceAuthors,
  categories,
  interactions,
  userProfiles,
  outbox,
  taskRuns,
  batches,
  classifierModels,
  qualityFlags,
  qualitySnapshots,
  jobRuns,
  resourceStats,
  queryStats,
  passages,
  searchState,
  resourceFingerprints,
  fingerprintBands,
};


/**
 * The dashboard sampler's readings (app/monitoringSeries.ts), one row per sample, kept for the charts'
 * window: after a restart of the API process the charts continue instead of starting empty (migration 0023).
 */
export const monitoringSamples = sqliteTable("monitoring_samples", {
  /** ISO time of the sample. */
  t: text("t").primaryKey(),
  sample: text("sample", { mode: "json" }).$type<SeriesSample>().notNull(),
});

/** A person's own labels (issue 18): tags/collections created by users, beside the fixed taxonomy. */
export const tags = sqliteTable("tags", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** The name folded (NFC, lower case, spaces collapsed): two spellings of one tag are one tag. */
  key: text("key").notNull().unique(),
  createdAt: text("created_at").notNull(),
});

/**
 * A tag on a resource. `manual`: attached by a person; `accepted`/`rejected`:
 * a person's verdict on a suggestion; `suggested`: the tag model's guess,
 * waiting for a verdict. Manual, accepted and rejected rows are the examples
 * the next training learns from; only manual and accepted ones count as tagged.
 */
export const resourceTags = sqliteTable(
  "resource_tags",
  {
    resourceId: text("resource_id").notNull(),
    tagId: text("tag_id").notNull(),
    state: text("state").$type<"manual" | "accepted" | "rejected" | "suggested">().notNull(),
    confidence: real("confidence"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.resourceId, t.tagId] }), index("resource_tags_tag_idx").on(t.tagId, t.state)],
);
