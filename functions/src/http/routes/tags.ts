/** Tags (issue 18): people's own labels, attached by hand or accepted from the tag model's suggestions. */
import * as z from "zod";
import { createTag, decideTag, listTags, requestRetraining, setResourceTags, tagsOf, tagTrainingStatus } from "@shared/app/tags";
import { idParams, ok, readById, route } from "../apiRoute";

const tagName = z
  .string()
  .trim()
  .min(1, "a tag name must not be empty")
  .max(60, "a tag name has at most 60 characters")
  .refine((s) => !/\p{Cc}/u.test(s), "a tag name must not contain control characters");

export const tagRoutes = [
  route({
    method: "GET",
    path: "/tags",
    summary: "Every tag, with how many resources carry it (attached by hand or accepted).",
    responses: { 200: "{items: [{id, name, resources}]}" },
    async handle(_req, app) {
      return ok(await listTags(app));
    },
  }),
  route({
    method: "POST",
    path: "/tags",
    summary: "Create a tag (a name that differs only in letter case or spacing is the same tag).",
    body: z.object({ name: tagName }).strict(),
    responses: { 201: "Created: {id, name}", 200: "Already there: {id, name}", 400: "Invalid name" },
    async handle(req, app) {
      const tag = await createTag(app, req.body.name);
      return ok({ id: tag.id, name: tag.name }, tag.created ? 201 : 200);
    },
  }),
  route({
    method: "POST",
    path: "/tags/suggestions",
    summary:
      "Ask for the tag models to be retrained on people's decisions and the suggestions refreshed. Answers at once: the tag-suggestions task does the work in the background (debounced: requests within its queue's delay make one run). Poll GET /tags/suggestions until `lastRun.covers` reaches the returned `request` (or `pending` is false). Each accept, reject or change of a resource's tags asks for it too; the classifier-retraining job does it as well.",
    responses: { 202: "Accepted: {request, requestedAt, status: \"/tags/suggestions\"}" },
    async handle(req, app) {
      const asked = await requestRetraining(app, req.correlationId);
      return ok({ ...asked, status: "/tags/suggestions" }, 202);
    },
  }),
  route({
    method: "GET",
    path: "/tags/suggestions",
    summary: "Where tag training stands: the last request's number and time, the last finished run (when it started and finished, the last request it covers, and its summary), and whether a request is still pending.",
    responses: { 200: "{requested, requestedAt, pending, lastRun: {covers, trigger, startedAt, finishedAt, durationMs, summary: {trained, tooFewExamples, suggested, withdrawn}} | null}" },
    async handle(_req, app) {
      return ok(await tagTrainingStatus(app));
    },
  }),
  readById({
    path: "/resources/{id}/tags",
    summary: "A resource's tags and the tag model's suggestions for it (with confidence).",
    responses: { 200: "{id, tags: [{name, source}], suggestions: [{name, confidence}]}", 404: "Unknown id" },
    read: tagsOf,
  }),
  route({
    method: "PUT",
    path: "/resources/{id}/tags",
    summary: "Set a resource's tags by hand (unknown names create tags; a removed tag is recorded as rejected, for training).",
    params: idParams,
    body: z.object({ tags: z.array(tagName).max(50) }).strict(),
    responses: { 200: "{id, tags, suggestions}", 400: "Invalid body", 404: "Unknown id" },
    async handle(req, app) {
      return ok(await setResourceTags(app, req.params.id, req.body.tags, req.correlationId));
    },
  }),
  route({
    method: "POST",
    path: "/resources/{id}/tags/{tag}/{verdict}",
    summary: "Accept or reject a tag (usually a suggestion) for a resource; the verdict is a label the next training learns from.",
    params: idParams.extend({ tag: tagName, verdict: z.enum(["accept", "reject"]) }),
    responses: { 200: "{id, tags, suggestions}", 400: "Invalid verdict or tag", 404: "Unknown resource or tag" },
    async handle(req, app) {
      return ok(await decideTag(app, req.params.id, req.params.tag, req.params.verdict, req.correlationId));
    },
  }),
];
