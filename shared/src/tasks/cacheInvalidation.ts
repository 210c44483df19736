/**
 * Cache invalidation (URGENT, immediate). Writers already invalidate before
 * they answer; this task is the durable path: it repeats the invalidation for
 * every changed resource and retries (with backoff) invalidations that could
 * not reach Redis, so no stale entry outlives an outage.
 */
import { TransientError } from "../errors";
import { Events, type DomainEvent } from "../events/catalogue";
import type { InvalidationRequest } from "../ports/cache";
import { defineTask } from "./types";
import { ALL_SEARCH_TAGS } from "../app/searchCaching";

type InvalidationEvent = DomainEvent<"resource.updated" | "ingestion.failed" | "resource.deleted" | "cache.invalidation_requested">;

export function invalidationFor(event: InvalidationEvent): InvalidationRequest {
  const p = event.payload;
  if ("keys" in p) return { tags: p.tags, patterns: [...p.patterns, ...p.keys] };
  if (event.name === "resource.deleted") return { tags: [`resource:${p.resourceId}`, ...ALL_SEARCH_TAGS, "graph"] };
  // resource.updated, ingestion.failed: the resource's own view.
  return { tags: [`resource:${p.resourceId}`] };
}

export const cacheInvalidationTask = defineTask({
  name: "cache-invalidation",
  consumes: [Events.resource.updated, Events.ingestion.failed, Events.resource.deleted, Events.cache.invalidationRequested],
  subjectOf: (e) => ("resourceId" in e.payload ? e.payload.resourceId : null),
  async run(event, ctx) {
    const request = invalidationFor(event);
    if (!request.tags?.length && !request.patterns?.length && !request.keys?.length) return { status: "skipped", reason: "nothing to invalidate" };
    try {
      await ctx.app.cache.invalidate(request);
    } catch (e) {
      throw new TransientError(`cache unreachable: ${e instanceof Error ? e.message : String(e)}`);
    }
    void ctx.app.emitter.emit("cache.invalidated", { tags: request.tags ?? [], keys: (request.keys?.length ?? 0) + (request.patterns?.length ?? 0) }, { correlationId: ctx.correlationId });
    return { status: "succeeded" };
  },
});
