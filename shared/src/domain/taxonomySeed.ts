import * as z from "zod";
import seed from "../../data/taxonomy-seed.json" with { type: "json" };
import type { LabelledExample } from "./classifier";
import { isCategoryId } from "./taxonomy";

/**
 * The labelled passages the first classifier is trained on, before the
 * library has labelled resources of its own (shared/data/taxonomy-seed.json).
 * Validated on load so a typo in a category id fails loudly, not silently.
 */
const seedSchema = z.object({
  version: z.number().int(),
  examples: z.array(
    z.object({
      category: z.string().refine(isCategoryId, { message: "unknown category id" }),
      text: z.string().min(20),
    }),
  ),
});

export function seedExamples(): LabelledExample[] {
  return seedSchema.parse(seed).examples.map((e) => ({ text: e.text, category: e.category }));
}
