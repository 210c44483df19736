/** Manual category labels: the human input classifier retraining learns from. */
import * as z from "zod";
import { setManualCategories } from "@shared/app/manualCategories";
import { CATEGORY_IDS, type CategoryId } from "@shared/domain/taxonomy";
import { idParams, ok, route } from "../apiRoute";

export const manualCategoriesBody = z
  .object({
    categories: z.array(z.enum(CATEGORY_IDS as [CategoryId, ...CategoryId[]])).max(CATEGORY_IDS.length),
  })
  .strict();

export const categoryRoutes = [
  route({
    method: "PUT",
    path: "/resources/{id}/categories",
    summary: "Label a resource by hand: replaces its manual categories (taxonomy ids); classifier retraining learns from them.",
    params: idParams,
    body: manualCategoriesBody,
    responses: { 200: "{id, categories: [{category, confidence, source}]}", 400: "Unknown category id or invalid body", 404: "No such resource" },
    async handle(req, app) {
      return ok(await setManualCategories(app, req.params.id, req.body.categories, req.correlationId));
    },
  }),
];
