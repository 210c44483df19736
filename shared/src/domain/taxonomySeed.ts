import * as z from "zod";
import type { LabelledExample } from "./classifier";
import { isCategoryId } from "./taxonomy";

/**
 * The labelled passages the first classifier is trained on, before the
 * library has labelled resources of its own (shared/data/taxonomy-seed.json).
 * Validated on load so a typo in a category id fails loudly, not silently.
 * Loaded on first use (83 kB): a Lambda bundle keeps it in a chunk of its own,
 * read only by the paths that train (classification, tag suggestions).
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

let loaded: Promise<LabelledExample[]> | undefined;

export function seedExamples(): Promise<LabelledExample[]> {
  loaded ??= import("../../data/taxonomy-seed.json", { with: { type: "json" } }).then(({ default: seed }) =>
    seedSchema.parse(seed).examples.map((e) => ({ text: e.text, category: e.category })),
  );
  // A copy each time: callers may sort or extend what they get.
  return loaded.then((examples) => [...examples]);
}
