/**
 * A bench-only no-op route for issue 14's machinery figure: built with the
 * product's own parts (a `Route` like cache-invalidation's, a task made with
 * `defineTask`, run by `TaskRunner` behind `createSqsConsumer` and a
 * `QueuePoller`, its ledger row group-committed like every task's) but kept
 * out of the product's routing table and task registry, which CDK turns into
 * Lambdas and queues: a no-op route has no place in a deployment.
 *
 * It consumes `cache.invalidation_requested` with an empty payload (any event
 * of the catalogue would do: in the bench's own table this route is the only
 * one) and does nothing but succeed.
 */
import { Events } from "@shared/events/catalogue";
import { routeFor, type Route, type TaskName } from "@shared/events/routing";
import { defineTask } from "@shared/tasks/types";

/** Not one of the product's TaskNames: the bench's table is the only place it exists. */
export const NOOP_TASK = "bench-noop" as TaskName;

/** URGENT like cache invalidation (4 poller loops per worker, up to 8; batches of 10), no delay or window. */
export const noopRoute: Route = {
  ...routeFor("cache-invalidation"),
  task: NOOP_TASK,
  events: [Events.cache.invalidationRequested],
  delaySeconds: 0,
  batchWindowSeconds: 0,
  description: "Bench only: does nothing (machinery throughput, issue 14).",
};

export const noopTask = defineTask({
  name: NOOP_TASK,
  consumes: [Events.cache.invalidationRequested],
  subjectOf: () => null,
  async run() {
    return { status: "succeeded" };
  },
});
