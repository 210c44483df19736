/**
 * The event catalogue: every event the system emits, named `{entity}.{action}`,
 * with the schema of its payload. Code refers to events through `Events.X`,
 * never by retyping the string; `docs/events.md` lists producers and consumers.
 *
 * Revisions travel in the payload so consumers can tell a superseded trigger
 * from a current one (debounce by revision, docs/architecture.md, "Debounce and idempotence by revision").
 */
import * as z from "zod";
import { safeCorrelationId } from "../observability/correlationId";

const id = z.string().min(1).max(200);
const revision = z.number().int().nonnegative();

const resourceRevisions = {
  resourceId: id,
  revision,
  contentRevision: revision,
  metadataRevision: revision,
};

export const eventSchemas = {
  // resource lifecycle (requirement 2.2)
  "resource.created": z.object({ resourceId: id, revision }),
  "resource.updated": z.object({
    ...resourceRevisions,
    changed: z.array(z.enum(["content", "metadata"])),
  }),
  "resource.deleted": z.object({ resourceId: id, contentHash: z.string().nullable() }),
  "resource.content_changed": z.object({ ...resourceRevisions, contentHash: z.string() }),
  "resource.metadata_changed": z.object({ ...resourceRevisions }),

  // processing (requirement 2.3)
  // contentRevision: set when a content update asks for the new content to be extracted (absent: the first ingestion).
  "ingestion.requested": z.object({ resourceId: id, batchId: z.string().nullable().optional(), contentRevision: revision.optional() }),
  "ingestion.started": z.object({ resourceId: id }),
  "ingestion.completed": z.object({ ...resourceRevisions, reused: z.boolean() }),
  "ingestion.failed": z.object({ resourceId: id, error: z.string() }),
  "embedding.generated": z.object({ resourceId: id, contentRevision: revision, reused: z.boolean() }),
  "quality.computed": z.object({ resourceId: id, revision, score: z.number() }),
  "quality.degraded": z.object({ resourceId: id, previous: z.number(), current: z.number() }),
  "quality.outlier_detected": z.object({ resourceId: id, dimensions: z.array(z.string()) }),
  "classification.suggested": z.object({ resourceId: id, contentRevision: revision, categories: z.array(z.string()) }),
  "classification.model_retrained": z.object({ version: z.number().int(), accuracy: z.number(), activated: z.boolean() }),
  "citations.extracted": z.object({ resourceId: id, contentRevision: revision, count: z.number().int() }),
  "authors.extracted": z.object({ resourceId: id, metadataRevision: revision, count: z.number().int() }),
  "authors.normalized": z.object({ resourceId: id, authorIds: z.array(z.string()) }),

  // search, graph, cache, users (requirement 2.4)
  "search.index_updated": z.object({ resourceId: id, revision }),
  "search.performed": z.object({ mode: z.string(), resultCount: z.number().int(), tookMs: z.number() }),
  "graph.edges_updated": z.object({ resourceIds: z.array(id), edges: z.number().int() }),
  "cache.invalidation_requested": z.object({
    keys: z.array(z.string()).default([]),
    tags: z.array(z.string()).default([]),
    patterns: z.array(z.string()).default([]),
  }),
  "cache.invalidated": z.object({ tags: z.array(z.string()), keys: z.number().int() }),
  "user.interaction_tracked": z.object({
    userId: id,
    resourceId: id,
    interactionType: z.string(),
    interactionCount: z.number().int().positive(),
    /** true on every 10th interaction of a user: the profile-refresh rule matches on it. */
    profileRefreshDue: z.boolean(),
  }),
  "user.profile_refreshed": z.object({ userId: id, interactions: z.number().int() }),
  /** A stored profile was built from a resource that is gone (deleted): rebuild it from what is left. */
  "user.profile_refresh_requested": z.object({
    userId: id,
    resourceId: id,
    /** Always true: the profile-refresh rule matches on this field for every event it routes. */
    profileRefreshDue: z.literal(true),
  }),

  // background task lifecycle (requirement 2.5)
  "task.started": z.object({ task: z.string(), resourceId: z.string().nullable(), attempt: z.number().int() }),
  "task.completed": z.object({ task: z.string(), resourceId: z.string().nullable(), status: z.string(), durationMs: z.number() }),
  "task.retrying": z.object({ task: z.string(), resourceId: z.string().nullable(), attempt: z.number().int(), error: z.string(), retryInSeconds: z.number() }),
  "task.failed": z.object({ task: z.string(), resourceId: z.string().nullable(), attempt: z.number().int(), error: z.string() }),

  // people's tags (issue 18): retrain the tag models and refresh suggestions. `request` is the
  // number the request got (tag_suggestions.requested); a run that read the decisions after it covers it.
  "tags.retrain_requested": z.object({ request: z.number().int().positive(), trigger: z.enum(["api", "verdict"]) }),

  // scheduled jobs and batches
  "job.completed": z.object({ job: z.string(), summary: z.record(z.string(), z.unknown()) }),
  "batch.created": z.object({ batchId: id, total: z.number().int() }),
} as const;

export type EventName = keyof typeof eventSchemas;
export type EventPayload<N extends EventName> = z.infer<(typeof eventSchemas)[N]>;

/** Every event name, addressable as a constant: `Events.resource.updated`. */
export const Events = {
  resource: {
    created: "resource.created",
    updated: "resource.updated",
    deleted: "resource.deleted",
    contentChanged: "resource.content_changed",
    metadataChanged: "resource.metadata_changed",
  },
  ingestion: {
    requested: "ingestion.requested",
    started: "ingestion.started",
    completed: "ingestion.completed",
    failed: "ingestion.failed",
  },
  embedding: { generated: "embedding.generated" },
  quality: { computed: "quality.computed", degraded: "quality.degraded", outlierDetected: "quality.outlier_detected" },
  classification: { suggested: "classification.suggested", modelRetrained: "classification.model_retrained" },
  citations: { extracted: "citations.extracted" },
  authors: { extracted: "authors.extracted", normalized: "authors.normalized" },
  search: { indexUpdated: "search.index_updated", performed: "search.performed" },
  graph: { edgesUpdated: "graph.edges_updated" },
  cache: { invalidationRequested: "cache.invalidation_requested", invalidated: "cache.invalidated" },
  user: { interactionTracked: "user.interaction_tracked", profileRefreshed: "user.profile_refreshed", profileRefreshRequested: "user.profile_refresh_requested" },
  task: { started: "task.started", completed: "task.completed", retrying: "task.retrying", failed: "task.failed" },
  tags: { retrainRequested: "tags.retrain_requested" },
  job: { completed: "job.completed" },
  batch: { created: "batch.created" },
} as const satisfies Record<string, Record<string, EventName>>;

export const allEventNames = Object.keys(eventSchemas) as EventName[];

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(eventSchemas, name);
}

/** Metadata every event carries next to its payload. */
export const eventMetaSchema = z.object({
  eventId: z.string(),
  // Cut, not refused: a message with a long id is still work to do.
  correlationId: z.string().transform(safeCorrelationId),
  priority: z.number().int().min(1).max(10),
  occurredAt: z.string(),
});
export type EventMeta = z.infer<typeof eventMetaSchema>;

/** An event as it travels: name, payload and metadata. */
export interface DomainEvent<N extends EventName = EventName> {
  name: N;
  payload: EventPayload<N>;
  meta: EventMeta;
}

/** The EventBridge `source` of every event this system publishes. */
export const EVENT_SOURCE = "neo-alexandria";

/** The schemas, typed by name: parsing with `payloadSchemas[name]` yields that event's payload type. */
const payloadSchemas: { readonly [K in EventName]: z.ZodType<EventPayload<K>, unknown> } = eventSchemas;

/** Every event's payload by name (the emitter's catalogue). */
export type EventPayloads = { [K in EventName]: EventPayload<K> };

export function parsePayload<N extends EventName>(name: N, payload: unknown): EventPayload<N> {
  return payloadSchemas[name].parse(payload);
}

/** Why a payload does not match its event's schema, or null when it does. */
export type PayloadCheck<N extends EventName> = { ok: true; payload: EventPayload<N> } | { ok: false; reason: string };

export function checkPayload<N extends EventName>(name: N, payload: unknown): PayloadCheck<N> {
  const parsed = payloadSchemas[name].safeParse(payload);
  if (parsed.success) return { ok: true, payload: parsed.data };
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join(".") : "(payload)"}: ${i.message}`);
  return { ok: false, reason: `invalid payload for ${name}: ${issues.join("; ")}` };
}

/**
 * An event from outside this process (a queue message, an outbox row): the
 * name must be in the catalogue, the payload must match its schema and the
 * meta must be complete. The answer is the event, or why it is not one.
 */
export function checkEvent(name: string, payload: unknown, meta: unknown): { ok: true; event: DomainEvent } | { ok: false; reason: string } {
  if (!isEventName(name)) return { ok: false, reason: `unknown event ${name}` };
  const parsedMeta = eventMetaSchema.safeParse(meta);
  if (!parsedMeta.success) return { ok: false, reason: `event ${name} has no valid meta` };
  const checked = checkPayload(name, payload);
  if (!checked.ok) return checked;
  return { ok: true, event: { name, payload: checked.payload, meta: parsedMeta.data } };
}
