/**
 * Cache invalidation (URGENT, immediate). Writers already invalidate before
 * they answer; this task is the durable path: it repeats the invalidation for
 * every changed resource and retries (with backoff) invalidations that could
 * not reach Redis, so no stale entry outlives an outage.
 */
import { TransientError } from "../errors";
import type { DomainEvent } from "../events/catalogue";
import type { InvalidationRequest } from "../ports/cache";
import type { TaskDefinition } from "./types";
import { ALL_SEARCH_TAGS } from "../app/searchCaching";

export function invalidationFor(event: DomainEvent): InvalidationRequest {
  const p = event.payload as Record<string, unknown>;
  switch (event.name) {
    case "resource.updated":
    case "ingestion.failed":
      return { tags: [`resource:${String(p.resourceId)}`] };
    case "resource.deleted":
      return { tags: [`resource:${String(p.resourceId)}`, ...ALL_SEARCH_TAGS, "graph"] };
    case "cache.invalidation_requested": {
      const keys = (p.keys as string[] | undefined) ?? [];
      return {
        tags: (p.tags as string[] | undefined) ?? [],
        patterns: [...((p.patterns as string[] | undefined) ?? []), ...keys],
      };
    }
    default:
      return {};
  }
}

export const cacheInvalidationTask: TaskDefinition = {
  name: "cache-invalidation",
  subjectOf: (e) => {
    const id = (e.payload as { resourceId?: string }).resourceId;
    return id ?? null;
  },
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
};
