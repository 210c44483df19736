import * as z from "zod";
import { neighbors } from "@shared/app/graph";
import { ok, route } from "../apiRoute";

export const graphRoutes = [
  route({
    method: "GET",
    path: "/resources/{id}/neighbors",
    summary: "The citation graph around a resource: what it cites and what cites it.",
    params: z.object({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, "id has invalid characters") }),
    responses: { 200: "{id, cites, citedBy}", 404: "Unknown id" },
    async handle(req, app) {
      return ok(await neighbors(app, req.params.id));
    },
  }),
];
