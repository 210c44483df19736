import { z } from "zod";
import { search } from "../../../../shared/src/app/search";
import { ok, route } from "../apiRoute";

export const searchQuery = z.object({
  q: z
    .string()
    .max(1000, "q must be at most 1000 characters")
    // Control characters (NUL included) carry no meaning in a query: drop them rather than fail.
    .transform((s) => s.replace(/\p{Cc}/gu, " ")),
  mode: z.enum(["keyword", "semantic", "hybrid"]).default("hybrid"),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  offset: z.coerce.number().int().min(0).max(1000).default(0),
});

export const searchRoutes = [
  route({
    method: "GET",
    path: "/search",
    summary: "Keyword (FTS5 BM25), semantic (vectors) or hybrid (RRF) search.",
    auth: false,
    query: searchQuery,
    responses: { 200: "{results: [{id, title, score, snippet}], total}", 400: "Invalid query" },
    async handle(req, app) {
      return ok(await search(app, req.query));
    },
  }),
];
