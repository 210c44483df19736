/** Tags (issue 18): people's own labels, attached by hand or accepted from the tag model's suggestions. */
import * as z from "zod";
import { createTag, decideTag, listTags, setResourceTags, suggestTags, tagsOf } from "@shared/app/tags";
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
    summary: "Retrain the tag models on people's decisions now and refresh the suggestions (the classifier-retraining job does this too).",
    responses: { 200: "{trained, tooFewExamples, suggested, withdrawn}" },
    async handle(_req, app) {
      return ok(await suggestTags(app));
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
