/**
 * Manual labels: a person says which taxonomy categories a resource belongs
 * to. They are stored next to the predicted ones (source `manual`, confidence
 * 1) and are what classifier retraining learns from besides the seed corpus.
 */
import { and, eq } from "drizzle-orm";
import { categories, resources } from "../adapters/libsql/schema";
import type { CategoryId } from "../domain/taxonomy";
import { NotFoundError } from "../errors";
import type { AppContext } from "./context";
import { categoriesOf, invalidateNow } from "./resources";
import { SearchTags } from "./searchCaching";

/** Replaces the resource's manual categories (an empty list removes them). */
export async function setManualCategories(ctx: AppContext, id: string, chosen: readonly CategoryId[], correlationId: string) {
  const unique = [...new Set(chosen)];
  await ctx.store.write(async (tx) => {
    const row = await tx.query.resources.findFirst({ where: eq(resources.id, id), columns: { contentRevision: true } });
    if (!row) throw new NotFoundError(`resource ${id}`);
    await tx.delete(categories).where(and(eq(categories.resourceId, id), eq(categories.source, "manual")));
    if (unique.length > 0) {
      await tx.insert(categories).values(
        unique.map((category) => ({ resourceId: id, category, source: "manual" as const, confidence: 1, modelVersion: null, contentRevision: row.contentRevision })),
      );
    }
  });
  // The resource view lists categories and is cached: the answer must not be followed by an old read.
  // Search results that filter or count by categories are cached too (app/searchCaching.ts).
  await invalidateNow(ctx, [`resource:${id}`, SearchTags.meta("categories")], correlationId);
  return { id, categories: await categoriesOf(ctx, id) };
}
