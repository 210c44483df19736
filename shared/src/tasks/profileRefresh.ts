/**
 * Recommendation profile refresh (LOW). Two triggers, one rule (it matches
 * `profileRefreshDue`):
 * - every 10th interaction of a user. Idempotent: a profile already refreshed
 *   at or after this count is left alone;
 * - a resource the stored profile was built from was deleted. Idempotent: a
 *   profile refreshed after the request was made is left alone.
 */
import { refreshProfile } from "../app/interactions";
import { Events, type DomainEvent } from "../events/catalogue";
import { defineTask } from "./types";

function userOf(event: DomainEvent<"user.interaction_tracked" | "user.profile_refresh_requested">): string {
  return event.payload.userId;
}

export const profileRefreshTask = defineTask({
  name: "profile-refresh",
  consumes: [Events.user.interactionTracked, Events.user.profileRefreshRequested],
  subjectOf: userOf,
  async run(event, ctx) {
    const userId = userOf(event);
    const payload = event.payload;
    if (!("interactionCount" in payload)) {
      // user.profile_refresh_requested
      const outcome = await refreshProfile(ctx.app, userId, { requestedAt: event.meta.occurredAt }, ctx.correlationId);
      return outcome === "refreshed" ? { status: "succeeded" } : { status: "skipped", reason: "profile already refreshed after the request" };
    }
    const count = payload.interactionCount;
    const outcome = await refreshProfile(ctx.app, userId, { dueAtCount: count }, ctx.correlationId);
    return outcome === "refreshed" ? { status: "succeeded", revision: count } : { status: "skipped", reason: "profile already refreshed at or after this interaction", revision: count };
  },
});
