/**
 * Recommendation profile refresh (LOW, every 10th interaction of a user: the
 * rule matches `profileRefreshDue`). Idempotent: a profile already refreshed at
 * or after this count is left alone.
 */
import { refreshProfile } from "../app/interactions";
import { Events, type DomainEvent } from "../events/catalogue";
import { defineTask } from "./types";

function payloadOf(event: DomainEvent<"user.interaction_tracked">) {
  return { userId: event.payload.userId, count: event.payload.interactionCount };
}

export const profileRefreshTask = defineTask({
  name: "profile-refresh",
  consumes: [Events.user.interactionTracked],
  subjectOf: (e) => payloadOf(e).userId,
  async run(event, ctx) {
    const { userId, count } = payloadOf(event);
    const outcome = await refreshProfile(ctx.app, userId, count, ctx.correlationId);
    return outcome === "refreshed" ? { status: "succeeded", revision: count } : { status: "skipped", reason: "profile already refreshed at or after this interaction", revision: count };
  },
});
