/**
 * How many receive loops a local poller may run for a route, where the tier's
 * rule (events/priority.ts: a base, growing with queue depth) does not fit.
 *
 * With the sentence encoder, every embedding of a process runs on its ONE
 * encoder thread. More receive loops then add no throughput; they only hold
 * more messages waiting for that thread — invisible to the other worker
 * processes, which may be idle, and in a bulk import held past the
 * reconciler's grace, which queued them again (15–59 extra embedding runs per
 * 200-page import before this rule). So the embedding poller keeps its tier's
 * base concurrency and does not grow with the queue. The lexical embedder is
 * plain CPU work on the task's own loop and keeps the tier's rule.
 */
import { capacityFor } from "@shared/events/priority";
import type { Route } from "@shared/events/routing";

export interface PollerCapacity {
  /** Upper bound on receive loops (absent: the tier's). */
  maxConcurrency?: number;
}

export function localPollerCapacity(route: Route, embedder: string): PollerCapacity {
  if (route.task === "embedding" && embedder === "encoder") return { maxConcurrency: capacityFor(route.priority).localConcurrency };
  return {};
}
