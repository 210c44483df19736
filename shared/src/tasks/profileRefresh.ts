/**
 * Recommendation profile refresh (LOW). Two triggers, one rule (it matches
 * `profileRefreshDue`):
 * - every 10th interaction of a user. Idempotent: a profile already refreshed
 *   at or after this count is left alone;
 * - a resource the stored profile was built from was deleted. Idempotent: a
 *   profile refreshed after the request was made is left alone.
 */
import { refreshProfile } from "../app/interactions";
import type { DomainEvent } from "../events/catalogue";
import type { TaskDefinition } from "./types";

function userOf(event: DomainEvent): string {
  return (event.payload as { userId: string }).userId;
}

export const profileRefreshTask: TaskDefinition = {
  name: "profile-refresh",
  subjectOf: userOf,
  async run(event, ctx) {
    const userId = userOf(event);
    if (event.name === "user.profile_refresh_requested") {
      const outcome = await refreshProfile(ctx.app, userId, { requestedAt: event.meta.occurredAt }, ctx.correlationId);
      return outcome === "refreshed" ? { status: "succeeded" } : { status: "skipped", reason: "profile already refreshed after the request" };
    }
    const count = (event.payload as { interactionCount: number }).interactionCount;
    const outcome = await refreshProfile(ctx.app, userId, { dueAtCount: count }, ctx.correlationId);
    return outcome === "refreshed" ? { status: "succeeded", revision: count } : { status: "skipped", reason: "profile already refreshed at or after this interaction", revision: count };
  },
};
