import * as z from "zod";
import { warmCache } from "@shared/app/cacheWarming";
import { ok, route } from "../apiRoute";

export const cacheAdminRoutes = [
  route({
    method: "POST",
    path: "/monitoring/cache/warm",
    summary: "Warm the cache now with the most read resources and the most frequent queries.",
    body: z.object({ resources: z.number().int().min(0).max(5000).optional(), queries: z.number().int().min(0).max(5000).optional() }).strict().optional(),
    responses: { 200: "{resources, queries, failed, tookMs}" },
    async handle(req, app) {
      return ok(await warmCache(app, req.body ?? {}));
    },
  }),
];
