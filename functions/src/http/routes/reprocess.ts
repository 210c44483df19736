import * as z from "zod";
import { reprocessMatching, reprocessResource, STAGE_NAMES } from "@shared/app/reprocess";
import type { StageName } from "@shared/domain/derived";
import { idParams, ok, route } from "../apiRoute";

const stageName = z.enum(STAGE_NAMES as [StageName, ...StageName[]], { error: `stage must be one of ${STAGE_NAMES.join(", ")}` });

export const reprocessRoutes = [
  route({
    method: "POST",
    path: "/resources/reprocess",
    summary: "Re-run the failed stages of every resource matching a filter, as a batch (follow it with GET /batches/{id}).",
    body: z
      .object({
        status: z.literal("failed").default("failed"),
        stage: stageName.optional(),
        errorClass: z.string().min(1).max(100).regex(/^[A-Za-z_$][\w$]*$/, "errorClass is a class name such as PermanentError").optional(),
        since: z.iso
          .datetime({ offset: true, error: "since must be an ISO 8601 date-time" })
          // Read with Date below: anything the pattern lets through that Date cannot read is refused here, not a 500.
          .refine((d) => !Number.isNaN(Date.parse(d)), "since is not a real date")
          .optional(),
      })
      .strict(),
    responses: { 202: "{batchId, total, items: [{id, stages}]}", 400: "Invalid filter, or too many matches", 409: "Nothing matches" },
    async handle(req, app) {
      const since = req.body.since ? new Date(req.body.since).toISOString() : undefined;
      return ok(await reprocessMatching(app, { ...req.body, since }, req.correlationId), 202);
    },
  }),
  route({
    method: "POST",
    path: "/resources/{id}/reprocess",
    summary: "Re-run stages of a resource (default: the failed ones) through their tasks; GET /resources/{id}/status follows them.",
    params: idParams,
    body: z.object({ stages: z.array(stageName).min(1).max(STAGE_NAMES.length).optional() }).strict(),
    responses: { 202: "{id, stages, requestedAt}", 400: "Unknown stage", 404: "Unknown id", 409: "Nothing to reprocess (no stage failed, or the stages asked for are done)" },
    async handle(req, app) {
      return ok(await reprocessResource(app, req.params.id, req.body.stages, req.correlationId), 202);
    },
  }),
];
