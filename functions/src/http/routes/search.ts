import * as z from "zod";
import { search } from "@shared/app/search";
import { similarTo } from "@shared/app/similar";
import { idParams, ok, route } from "../apiRoute";

const isoDate = z
  .string()
  .max(40)
  .refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO date or date-time");

/** Filter values are matched as given; no SQL or FTS syntax can come from them (they are parameters). */
const filterText = (what: string) => z.string().trim().min(1, `${what} must not be empty`).max(200);

export const searchQuery = z
  .object({
    q: z
      .string()
      .max(1000, "q must be at most 1000 characters")
      // Control characters (NUL included) carry no meaning in a query: drop them rather than fail.
      .transform((s) => s.replace(/\p{Cc}/gu, " ")),
    mode: z.enum(["keyword", "semantic", "hybrid"]).default("hybrid"),
    limit: z.coerce.number().int().min(1).max(100).default(10),
    offset: z.coerce.number().int().min(0).max(1000).default(0),
    category: filterText("category").optional(),
    author: filterText("author").optional(),
    type: filterText("type").optional(),
    language: filterText("language").optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    minQuality: z.coerce.number().min(0).max(1).optional(),
    tag: filterText("tag").optional(),
    facets: z.enum(["true", "false"]).default("false"),
    collapse: z.enum(["true", "false"]).default("true"),
  })
  .refine((s) => !s.from || !s.to || Date.parse(s.from) < Date.parse(s.to), { message: "from must be before to", path: ["from"] });

const similarQuery = z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) });
export const searchRoutes = [
  route({
    method: "GET",
    path: "/search",
    summary:
      "Keyword (FTS5 BM25 over the query's content words), semantic (passage vectors) or hybrid (both, score-fused) search; optional filters (category, author, type, language, from/to, minQuality, tag) and facet counts (facets=true). Near-duplicates are collapsed into their original unless collapse=false.",
    query: searchQuery,
    responses: {
      200: "{results: [{id, title, score, snippet, url, path, source}], total, facets?: {category, author, type, tag: [{value, count}]}}",
      400: "Invalid query",
    },
    async handle(req, app) {
      const { q, mode, limit, offset, facets, collapse, category, author, type, language, from, to, minQuality, tag } = req.query;
      const filters = { category, author, type, language, from, to, minQuality, tag, includeDuplicates: collapse === "false" ? (true as const) : undefined };
      return ok(await search(app, { q, mode, limit, offset, filters, facets: facets === "true" }));
    },
  }),
  route({
    method: "GET",
    path: "/resources/{id}/similar",
    summary: "Resources nearest by meaning (document vectors), excluding the resource itself and exact duplicates of it.",
    params: idParams,
    query: similarQuery,
    responses: { 200: "{id, items: [{id, title, score, url, path}]}", 404: "Unknown id" },
    async handle(req, app) {
      return ok(await similarTo(app, req.params.id, req.query.limit));
    },
  }),
];
