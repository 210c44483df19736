import type { DomainEvent, EventName } from "../events/catalogue";
import type { TaskName } from "../events/routing";
import type { AppContext } from "../app/context";

export interface TaskResult {
  /** `succeeded`: the work was done; `skipped`: superseded or already current. */
  status: "succeeded" | "skipped";
  reason?: string;
  /** The revision the work was done for (ledger). */
  revision?: number;
}

/** What a task gets besides the event: the app and who triggered it. */
export interface TaskRunContext {
  app: AppContext;
  correlationId: string;
  attempt: number;
}

/**
 * A task takes ids, reloads state from the store and does nothing when the
 * work is already done or superseded: messages are triggers, the store is the
 * truth. `consumes` lists the events it accepts (the routing table sends it
 * exactly these; test/unit/routing.test.ts checks they agree); the runner
 * hands it only events of those names whose payload matched the schema, so
 * `event.payload` is typed by them.
 */
export interface TaskDefinition<N extends EventName = EventName> {
  name: TaskName;
  consumes: readonly N[];
  /** The resource (or user) a message is about, for the ledger. */
  subjectOf(event: DomainEvent<N>): string | null;
  run(event: DomainEvent<N>, ctx: TaskRunContext): Promise<TaskResult>;
  /** When present, a batch of messages is handled in one call (graph edges: one transaction). */
  runBatch?(events: Array<DomainEvent<N>>, ctx: TaskRunContext): Promise<TaskResult[]>;
  /** Called once when a message is given up (permanent error or retries exhausted). */
  onGiveUp?(event: DomainEvent<N>, error: unknown, ctx: TaskRunContext): Promise<void>;
}

/** A task, its event names inferred from `consumes`. */
export function defineTask<N extends EventName>(task: TaskDefinition<N>): TaskDefinition<N> {
  return task;
}
