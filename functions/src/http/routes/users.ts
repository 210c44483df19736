import * as z from "zod";
import { recommendationsFor, trackInteraction } from "@shared/app/interactions";
import { INTERACTION_WEIGHTS } from "@shared/domain/recommendations";
import { ok, route } from "../apiRoute";
import { HttpError, NotFoundError } from "@shared/errors";
import { USER_ID_PATTERN, type Principal } from "@shared/security/principal";

const userId = z.string().trim().min(1).max(200).regex(USER_ID_PATTERN, "userId may contain letters, digits and . _ @ : - only");

/**
 * The user a request acts for: a user principal acts for itself only; the
 * admin (or the loopback operator with no keys) names the user. Another
 * user's id gets the very answer an unknown id gets (404 "user <id>"), so
 * the API does not tell which user ids exist.
 */
function actingUser(principal: Principal, named: string | undefined): string {
  if (principal.kind === "user") {
    if (named !== undefined && named !== principal.userId) throw new NotFoundError(`user ${named}`);
    return principal.userId;
  }
  if (principal.kind === "admin" && named !== undefined) return named;
  throw new HttpError(400, "userId is required when calling with the admin key");
}
const interactionTypes = Object.keys(INTERACTION_WEIGHTS) as [string, ...string[]];

export const userRoutes = [
  route({
    method: "POST",
    path: "/interactions",
    summary: "Record that a user interacted with a resource; every 10th interaction refreshes the user's profile.",
    body: z
      .object({
        /** A user key or token acts for its own user: userId may be left out (and another user's is refused). */
        userId: userId.optional(),
        resourceId: z.string().min(1).max(100),
        type: z.enum(interactionTypes),
        strength: z.number().min(0).max(10).optional(),
      })
      .strict(),
    responses: { 201: "{id, interactionCount, profileRefreshDue}", 400: "Invalid input", 404: "Unknown resource" },
    async handle(req, app) {
      const { userId: named, ...rest } = req.body;
      return ok(await trackInteraction(app, { ...rest, userId: actingUser(req.principal, named) }, req.correlationId), 201);
    },
  }),
  route({
    method: "GET",
    path: "/users/{id}/recommendations",
    summary: "Resources like what the user engaged with (by strength and recency), excluding what they have seen.",
    params: z.object({ id: userId }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
    responses: { 200: "{userId, profile, items}", 404: "Unknown user" },
    async handle(req, app) {
      return ok(await recommendationsFor(app, actingUser(req.principal, req.params.id), req.query.limit));
    },
  }),
];
