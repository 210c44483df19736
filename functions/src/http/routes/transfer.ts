/** Export and import of a whole library (docs/export.md): `alexandria export` / `alexandria import`. */
import * as z from "zod";
import { EXPORT_PAGE_BYTES, exportPage, importRecords } from "@shared/app/libraryTransfer";
import { route } from "../apiRoute";

/** Records per POST /import: a batch stays well under the request size limit and answers within seconds. */
export const IMPORT_BATCH = 200;

const exportQuery = z
  .object({
    /** The cursor a previous page gave in `x-export-next`. */
    after: z
      .string()
      .min(1)
      .max(100)
      .regex(/^[A-Za-z0-9-]+$/, "after is a cursor from x-export-next")
      .optional(),
    /** A smaller page than the default (tests, slow links); never a larger one. */
    maxBytes: z.coerce.number().int().min(1024).max(EXPORT_PAGE_BYTES).optional(),
  })
  .strict();

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
      "The library as NDJSON, a page at a time: the first page starts with a header line, then per resource its id, creation time, input (URL, or content as sent), user-set metadata, manual categories and interactions. Derived data is not exported (it is recomputed on import). When more remains, the `x-export-next` header holds the cursor for `GET /export?after=…`; the pages' bodies, joined in order, are the whole export.",
    query: exportQuery,
    responses: {
      200: "application/x-ndjson: {kind: header, format, version, exportedAt, resources} (first page only) then {kind: resource, id, createdAt, input, metadata, categories, interactions} per line; header x-export-next: the next page's cursor, absent on the last page",
      400: "Invalid cursor or page size",
      401: "Missing or wrong key",
    },
    async handle(req, app) {
      // Pages, not one body: on AWS the answer is a buffered Lambda response (6 MB, 29 s).
      const page = await exportPage(app, { after: req.query.after, maxBytes: req.query.maxBytes });
      const headers: Record<string, string> = { "content-type": "application/x-ndjson; charset=utf-8", "content-disposition": 'attachment; filename="library.ndjson"' };
      if (page.next !== null) headers["x-export-next"] = page.next;
      return { status: 200, body: null, text: page.text, headers };
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
