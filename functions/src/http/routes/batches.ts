import * as z from "zod";
import { batchProgress, createBatch } from "@shared/app/batches";
import { ok, route } from "../apiRoute";
import { createResourceBody } from "./resources";

export const batchRoutes = [
  route({
    method: "POST",
    path: "/resources/batch",
    summary: "Add up to 100 resources in one request; follow them with the returned batch id.",
    body: z.object({ items: z.array(createResourceBody).min(1).max(100) }).strict(),
    responses: { 202: "{batchId, total, items}", 400: "Invalid input", 413: "Body too large" },
    async handle(req, app) {
      const items = req.body.items.map((b) => ({ ...b, contentType: b.content !== undefined ? (b.contentType ?? "text/plain") : undefined }));
      return ok(await createBatch(app, items, req.correlationId), 202);
    },
  }),
  route({
    method: "GET",
    path: "/batches/{id}",
    summary: "Progress of a batch: totals, per-stage counts, failures.",
    params: z.object({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, "id has invalid characters") }),
    responses: { 200: "{batchId, total, done, failed, pending, complete, stages, failures}", 404: "Unknown batch" },
    async handle(req, app) {
      return ok(await batchProgress(app, req.params.id));
    },
  }),
];
