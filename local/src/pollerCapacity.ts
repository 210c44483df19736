/**
 * How many receive loops a local poller may run for a route, where the tier's
 * rule (events/priority.ts: a base, growing with queue depth) does not fit.
 *
 * With the sentence encoder, every embedding of a process runs on its ONE
 * encoder thread. More receive loops then add no throughput; they only hold
 * more messages waiting for that thread — invisible to the other worker
 * processes, which may be idle, and in a bulk import held past the
 * reconciler's grace, which queued them again (15–59 extra embedding runs per
 * 200-page import before this rule), while another worker's encoder idled.
 * So a worker's embedding poller runs ONE receive loop (it still holds a
 * second batch while the first commits, the poller's pipelining: at most 20
 * messages, a few seconds of encoder work) and does not grow with the queue;
 * the other workers take the rest. The lexical embedder is plain CPU work on
 * the task's own loop and keeps the tier's rule.
 */
import type { Route } from "@shared/events/routing";

/** Receive loops of a worker's embedding poller with the sentence encoder. */
export const ENCODER_BOUND_LOOPS = 1;

export interface PollerCapacity {
  /** Receive loops, fixed (absent: the tier's base, growing with depth up to its maximum). */
  concurrency?: number;
}

export function localPollerCapacity(route: Route, embedder: string): PollerCapacity {
  if (route.task === "embedding" && embedder === "encoder") return { concurrency: ENCODER_BOUND_LOOPS };
  return {};
}
