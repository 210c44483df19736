/** Export and import of a whole library (docs/export.md): `alexandria export` / `alexandria import`. */
import * as z from "zod";
import { exportLines, importRecords } from "../../../../shared/src/app/libraryTransfer";
import { route } from "../apiRoute";

/** Records per POST /import: a batch stays well under the request size limit and answers within seconds. */
export const IMPORT_BATCH = 200;

const importBody = z
  .object({
    /** Line number of the first record in the file, so problems are reported by line. */
    firstLine: z.number().int().min(1).default(1),
    records: z.array(z.unknown()).min(1).max(IMPORT_BATCH),
  })
  .strict();

export const transferRoutes = [
  route({
    method: "GET",
    path: "/export",
    summary:
      "The library as NDJSON: a header line, then per resource its id, creation time, input (URL, or content as sent), user-set metadata, manual categories and interactions. Derived data is not exported (it is recomputed on import).",
    responses: { 200: "application/x-ndjson: {kind: header, format, version, exportedAt, resources} then {kind: resource, id, createdAt, input, metadata, categories, interactions} per line", 401: "Missing or wrong key" },
    async handle(_req, app) {
      // Built a page of resources at a time; the API Gateway-shaped handler sends it as one body.
      let text = "";
      for await (const line of exportLines(app)) text += line;
      return { status: 200, body: null, text, headers: { "content-type": "application/x-ndjson; charset=utf-8", "content-disposition": 'attachment; filename="library.ndjson"' } };
    },
  }),
  route({
    method: "POST",
    path: "/import",
    summary:
      "Import records of an export (up to 200 per request, in order). Idempotent: an existing resource with the same input is unchanged (missing manual categories and interactions are added); an id that exists with different input is a conflict, skipped and reported.",
    body: importBody,
    responses: { 200: "{records, created, updated, unchanged, conflicts: [{line, id, reason}], invalid: [{line, id, reason}], createdIds}", 400: "Invalid body", 401: "Missing or wrong key" },
    async handle(req, app) {
      const lines = req.body.records.map((value, i) => ({ line: req.body.firstLine + i, value }));
      return { status: 200, body: await importRecords(app, lines, req.correlationId) };
    },
  }),
];
