/**
 * The routing table (docs/architecture.md, "Routing table"): which events wake which task, on which
 * queue, with what priority, delay, batching and retry budget. It is pure data.
 * CDK turns each route into an EventBridge rule, an SQS queue with its DLQ and a
 * Lambda event source mapping; the local bus and pollers read the same table.
 *
 * Timings are the requirements' values. Tests and benchmarks shorten them with
 * `applyRouteOverrides`, never by editing this table.
 */
import { Events, type EventName } from "./catalogue";
import { Priority, type PriorityLevel } from "./priority";

export const TaskNames = [
  "ingestion",
  "embedding",
  "search-index",
  "quality",
  "classification",
  "graph-edges",
  "cache-invalidation",
  "profile-refresh",
  "author-normalization",
  "tag-suggestions",
] as const;
export type TaskName = (typeof TaskNames)[number];

export interface RouteCondition {
  /** A top-level field of the event payload (EventBridge: `detail.<field>`). */
  field: string;
  equals: boolean | string | number;
}

export interface Route {
  /** Task the route wakes; also the queue's name (one queue per task type). */
  task: TaskName;
  events: readonly EventName[];
  priority: PriorityLevel;
  /** Queue `DelaySeconds`: the debounce window or the plain delay (0..900). */
  delaySeconds: number;
  /** Messages handed to one invocation. */
  batchSize: number;
  /** How long the consumer gathers messages before invoking (0..300 s). */
  batchWindowSeconds: number;
  /** Retries after the first attempt; the queue's maxReceiveCount is this + 1. */
  maxRetries: number;
  /** First retry delay; attempt n waits base * 2^(n-1) (with jitter). */
  retryBaseSeconds: number;
  /** Function timeout; the queue's visibility timeout derives from it. */
  timeoutSeconds: number;
  memoryMb: number;
  /** Only events whose payload matches are routed (EventBridge content filter). */
  condition?: RouteCondition;
  description: string;
}

export const routes: readonly Route[] = [
  {
    task: "ingestion",
    events: [Events.ingestion.requested],
    priority: Priority.HIGH,
    delaySeconds: 0,
    batchSize: 5,
    batchWindowSeconds: 0,
    maxRetries: 3,
    retryBaseSeconds: 10,
    timeoutSeconds: 120,
    memoryMb: 1024,
    description: "Fetch, extract and store a resource's text and metadata.",
  },
  {
    task: "embedding",
    // Metadata too: the title is embedded (only texts that changed are embedded again).
    events: [Events.resource.contentChanged, Events.resource.metadataChanged],
    priority: Priority.HIGH,
    delaySeconds: 5,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 3,
    retryBaseSeconds: 60,
    timeoutSeconds: 60,
    memoryMb: 1024,
    description: "Regenerate the title and passage vectors of the latest revision (5 s debounce, requirement 3.1).",
  },
  {
    task: "search-index",
    events: [Events.resource.updated],
    priority: Priority.URGENT,
    delaySeconds: 1,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 3,
    retryBaseSeconds: 5,
    timeoutSeconds: 30,
    memoryMb: 512,
    description: "Write the resource's current text into the FTS5 index (requirement 3.3).",
  },
  {
    task: "quality",
    events: [Events.resource.metadataChanged, Events.resource.contentChanged],
    priority: Priority.MEDIUM,
    delaySeconds: 10,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 2,
    retryBaseSeconds: 30,
    timeoutSeconds: 30,
    memoryMb: 512,
    description: "Recompute the quality score of the latest revision (10 s debounce, requirement 3.2).",
  },
  {
    task: "classification",
    events: [Events.resource.created, Events.embedding.generated],
    priority: Priority.MEDIUM,
    delaySeconds: 20,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 2,
    retryBaseSeconds: 30,
    timeoutSeconds: 30,
    memoryMb: 512,
    description: "Suggest taxonomy categories for the current content (requirement 3.7).",
  },
  {
    task: "graph-edges",
    events: [Events.citations.extracted],
    priority: Priority.MEDIUM,
    delaySeconds: 0,
    batchSize: 100,
    batchWindowSeconds: 30,
    maxRetries: 3,
    retryBaseSeconds: 10,
    timeoutSeconds: 60,
    memoryMb: 512,
    description: "Apply citation edges of many resources in one transaction (30 s batch window, requirement 3.4).",
  },
  {
    task: "cache-invalidation",
    events: [Events.resource.updated, Events.ingestion.failed, Events.resource.deleted, Events.cache.invalidationRequested],
    priority: Priority.URGENT,
    delaySeconds: 0,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 5,
    retryBaseSeconds: 1,
    timeoutSeconds: 15,
    memoryMb: 256,
    description: "Invalidate cache entries of changed resources; retries what failed while Redis was down (requirement 3.5).",
  },
  {
    task: "profile-refresh",
    events: [Events.user.interactionTracked, Events.user.profileRefreshRequested],
    condition: { field: "profileRefreshDue", equals: true },
    priority: Priority.LOW,
    delaySeconds: 0,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 2,
    retryBaseSeconds: 30,
    timeoutSeconds: 30,
    memoryMb: 512,
    description: "Rebuild a user's recommendation profile on every 10th interaction (requirement 3.6), and when a resource it was built from is deleted.",
  },
  {
    task: "author-normalization",
    events: [Events.authors.extracted],
    priority: Priority.LOW,
    delaySeconds: 60,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 2,
    retryBaseSeconds: 30,
    timeoutSeconds: 30,
    memoryMb: 256,
    description: "Link extracted author names to canonical authors (60 s delay, requirement 3.8).",
  },
  {
    task: "tag-suggestions",
    events: [Events.tags.retrainRequested],
    priority: Priority.LOW,
    // Debounce: requests (POST /tags/suggestions, people's verdicts) made within a minute are covered
    // by one run, which reads every decision made before it starts; the later messages skip.
    delaySeconds: 60,
    batchSize: 10,
    batchWindowSeconds: 0,
    maxRetries: 2,
    retryBaseSeconds: 60,
    timeoutSeconds: 600,
    memoryMb: 1024,
    description: "Retrain the tag models on people's decisions and refresh the suggestions (60 s debounce; issue 18).",
  },
];

export type RouteOverrides = Partial<Record<TaskName, Partial<Omit<Route, "task" | "events" | "condition">>>>;

/** The table with per-task overrides applied (tests shorten delays and windows). */
export function applyRouteOverrides(table: readonly Route[], overrides: RouteOverrides | undefined): Route[] {
  return table.map((r) => ({ ...r, ...(overrides?.[r.task] ?? {}) }));
}

/** Overrides that remove every delay and window: for fast tests. */
export function instantTimings(extra: RouteOverrides = {}): RouteOverrides {
  const out: RouteOverrides = {};
  for (const r of routes) {
    out[r.task] = { delaySeconds: 0, batchWindowSeconds: 0, retryBaseSeconds: 1, ...(extra[r.task] ?? {}) };
  }
  return out;
}

export function routeFor(task: TaskName, table: readonly Route[] = routes): Route {
  const route = table.find((r) => r.task === task);
  if (!route) throw new Error(`no route for task ${task}`);
  return route;
}

/** Routes an event reaches, with the route's content condition applied. */
export function routesForEvent(name: EventName, payload: unknown, table: readonly Route[] = routes): Route[] {
  return table.filter((r) => r.events.includes(name) && matchesCondition(r.condition, payload));
}

export function matchesCondition(condition: RouteCondition | undefined, payload: unknown): boolean {
  if (!condition) return true;
  if (typeof payload !== "object" || payload === null) return false;
  return Object.hasOwn(payload, condition.field) && Reflect.get(payload, condition.field) === condition.equals;
}

/** Queue names, shared by CDK and the local runtime. */
export function queueName(task: TaskName, prefix = "alexandria"): string {
  return `${prefix}-${task}`;
}
export function dlqName(task: TaskName, prefix = "alexandria"): string {
  return `${prefix}-${task}-dlq`;
}

/**
 * Visibility timeout of a route's queue: AWS asks for at least 6x the function
 * timeout plus the batching window, so a message is never visible twice while a
 * slow invocation still holds it.
 */
export function visibilityTimeoutSeconds(route: Route): number {
  return route.timeoutSeconds * 6 + route.batchWindowSeconds;
}
