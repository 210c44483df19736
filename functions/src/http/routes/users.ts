import * as z from "zod";
import { recommendationsFor, trackInteraction } from "../../../../shared/src/app/interactions";
import { INTERACTION_WEIGHTS } from "../../../../shared/src/domain/recommendations";
import { ok, route } from "../apiRoute";

const userId = z.string().trim().min(1).max(200).regex(/^[\w.@:-]+$/, "userId may contain letters, digits and . _ @ : - only");
const interactionTypes = Object.keys(INTERACTION_WEIGHTS) as [string, ...string[]];

export const userRoutes = [
  route({
    method: "POST",
    path: "/interactions",
    summary: "Record that a user interacted with a resource; every 10th interaction refreshes the user's profile.",
    auth: true,
    body: z
      .object({
        userId,
        resourceId: z.string().min(1).max(100),
        type: z.enum(interactionTypes),
        strength: z.number().min(0).max(10).optional(),
      })
      .strict(),
    responses: { 201: "{id, interactionCount, profileRefreshDue}", 400: "Invalid input", 404: "Unknown resource" },
    async handle(req, app) {
      return ok(await trackInteraction(app, req.body, req.correlationId), 201);
    },
  }),
  route({
    method: "GET",
    path: "/users/{id}/recommendations",
    summary: "Resources like what the user engaged with (by strength and recency), excluding what they have seen.",
    auth: false,
    params: z.object({ id: userId }),
    query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
    responses: { 200: "{userId, profile, items}", 404: "Unknown user" },
    async handle(req, app) {
      return ok(await recommendationsFor(app, req.params.id, req.query.limit));
    },
  }),
];
