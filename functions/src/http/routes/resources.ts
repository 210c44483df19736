import * as z from "zod";
import {
  createResource,
  getResourceContent,
  getResourceView,
  getStatus,
  listResources,
  updateResource,
} from "@shared/app/resources";
import { deleteResource } from "@shared/app/resourceDeletion";
import { duplicatesOf } from "@shared/app/nearDuplicates";
import { idParams, ok, readById, route } from "../apiRoute";

const MAX_CONTENT_CHARS = 14 * 1024 * 1024;
const contentType = z.enum(["text/plain", "text/markdown", "text/html", "application/pdf"]);
const metadata = {
  title: z.string().trim().min(1).max(500).optional(),
  description: z.string().max(5000).optional(),
  authors: z.array(z.string().trim().min(1).max(300)).max(100).optional(),
  source: z.string().max(500).optional(),
};

export const createResourceBody = z
  .object({
    url: z
      .string()
      .max(2048)
      .refine((u) => URL.canParse(u), "url is not a valid URL")
      .refine((u) => ["http:", "https:", "file:"].includes(URL.parse(u)?.protocol ?? "http:"), "url must use http, https or file")
      // Credentials in a URL would be stored and shown to every reader of the resource.
      .refine((u) => !URL.parse(u)?.username && !URL.parse(u)?.password, "url must not contain a user name or password")
      .optional(),
    content: z.string().min(1).max(MAX_CONTENT_CHARS).optional(),
    contentType: contentType.optional(),
    ...metadata,
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.url === undefined) === (b.content === undefined)) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "give exactly one of url or content" });
    }
    if (b.content !== undefined && b.contentType === "application/pdf" && !/^[A-Za-z0-9+/=\s]+$/.test(b.content)) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "PDF content must be base64" });
    }
    if (b.content !== undefined && b.contentType !== "application/pdf" && b.content.includes("\u0000")) {
      ctx.addIssue({ code: "custom", path: ["content"], message: "content must not contain NUL characters" });
    }
  });

export const updateResourceBody = z
  .object({
    content: z.string().min(1).max(MAX_CONTENT_CHARS).optional(),
    contentType: z.enum(["text/plain", "text/markdown", "text/html"]).optional(),
    ...metadata,
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to update", path: ["body"] });

export const resourceRoutes = [
  route({
    method: "POST",
    path: "/resources",
    summary: "Add a resource by URL or content; ingestion is queued.",
    body: createResourceBody,
    responses: { 202: "Accepted: {id, status: pending}", 400: "Invalid input", 413: "Body too large" },
    async handle(req, app) {
      const b = req.body;
      return ok(await createResource(app, { ...b, contentType: b.content !== undefined ? (b.contentType ?? "text/plain") : undefined }, req.correlationId), 202);
    },
  }),
  route({
    method: "GET",
    path: "/resources",
    summary: "List resources, newest first, with cursor pagination.",
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z.string().max(100).optional(),
      status: z.enum(["pending", "processing", "completed", "failed"]).optional(),
    }),
    responses: { 200: "{items, nextCursor}" },
    async handle(req, app) {
      return ok(await listResources(app, req.query));
    },
  }),
  readById({
    path: "/resources/{id}",
    summary: "A resource with its metadata, quality and categories.",
    responses: { 200: "Resource", 404: "Unknown id" },
    read: getResourceView,
  }),
  route({
    method: "PATCH",
    path: "/resources/{id}",
    summary: "Change metadata and/or content; derived data follows automatically.",
    params: idParams,
    body: updateResourceBody,
    responses: {
      200: "Updated resource (metadata only, or nothing changed)",
      202: "Accepted: the resource with its new revisions; new content is being extracted (ingestion status pending)",
      400: "Invalid input",
      404: "Unknown id",
      409: "Still ingesting",
    },
    async handle(req, app) {
      const outcome = await updateResource(app, req.params.id, req.body, req.correlationId);
      return ok(outcome.view, outcome.contentQueued ? 202 : 200);
    },
  }),
  route({
    method: "DELETE",
    path: "/resources/{id}",
    summary: "Delete a resource and everything derived from it.",
    params: idParams,
    responses: { 204: "Deleted", 404: "Unknown id" },
    async handle(req, app) {
      await deleteResource(app, req.params.id, req.correlationId);
      return { status: 204, body: null };
    },
  }),
  readById({
    path: "/resources/{id}/status",
    summary: "Freshness of every derived datum of a resource.",
    responses: { 200: "{ingestion, contentRevision, metadataRevision, derived, stages, upToDate}", 404: "Unknown id" },
    read: getStatus,
  }),
  readById({
    path: "/resources/{id}/content",
    summary: "The stored text of a resource (as extracted at ingestion) and where it came from.",
    responses: { 200: "{id, contentRevision, content, contentType, url, source}", 404: "Unknown id" },
    read: getResourceContent,
  }),
  readById({
    path: "/resources/{id}/duplicates",
    summary: "The near-duplicate group of a resource: the original it copies (with similarity) and the other near-copies.",
    responses: { 200: "{id, duplicateOf: {id, title, url, source, similarity} | null, items: [{id, title, url, source, similarity}]}", 404: "Unknown id" },
    read: duplicatesOf,
  }),
];
