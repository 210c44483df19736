/**
 * Recommendation profile refresh (LOW, every 10th interaction of a user: the
 * rule matches `profileRefreshDue`). Idempotent: a profile already refreshed at
 * or after this count is left alone.
 */
import { refreshProfile } from "../app/interactions";
import type { DomainEvent } from "../events/catalogue";
import type { TaskDefinition } from "./types";

function payloadOf(event: DomainEvent) {
  const p = event.payload as { userId: string; interactionCount: number };
  return { userId: p.userId, count: p.interactionCount };
}

export const profileRefreshTask: TaskDefinition = {
  name: "profile-refresh",
  subjectOf: (e) => payloadOf(e).userId,
  async run(event, ctx) {
    const { userId, count } = payloadOf(event);
    const outcome = await refreshProfile(ctx.app, userId, count, ctx.correlationId);
    return outcome === "refreshed" ? { status: "succeeded", revision: count } : { status: "skipped", reason: "profile already refreshed at or after this interaction", revision: count };
  },
};
