/**
 * DELETE /resources/{id}: the resource and everything derived from it or
 * about it go in one transaction, and every cached answer that may show it is
 * invalidated before the answer (docs/security.md, "Deletion leaves nothing").
 *
 * What goes: its text index rows, passages and vectors, the citations it
 * makes (citations of it elsewhere lose their target), its keys, categories
 * and author links, the interactions of every user with it, its read counts,
 * its quality snapshot and flags, and its place in stored recommendation
 * profiles. A stored profile's vector was built from the resource too: each
 * affected profile is rebuilt by the profile-refresh task, woken by a
 * `user.profile_refresh_requested` event staged in the same transaction.
 * Only the logs of what happened (outbox, task runs) still name it.
 */
import { eq, sql } from "drizzle-orm";
import { categories, citations, interactions, qualityFlags, qualitySnapshots, resourceAuthors, resourceKeys, resourceStats, resources } from "../adapters/libsql/schema";
import { deletePassages, deleteVectors } from "../adapters/libsql/passageRows";
import type { AppContext } from "./context";
import { writeWithEvents } from "./unitOfWork";
import { invalidateNow, loadResource } from "./resources";
import { ALL_SEARCH_TAGS } from "./searchCaching";
import { RECOMMENDATIONS_TAG } from "./interactions";
import { forgetFingerprint } from "./nearDuplicates";

export async function deleteResource(ctx: AppContext, id: string, correlationId: string): Promise<void> {
  const current = await loadResource(ctx, id);
  const { users, freed } = await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    // Users whose data names the resource: their interactions, or their stored profile's top list.
    const affected = await tx.all<{ userId: string; stored: number }>(sql`
      SELECT p.user_id AS userId, p.vector IS NOT NULL AS stored FROM user_profiles p
      WHERE p.user_id IN (SELECT user_id FROM interactions WHERE resource_id = ${id})
         OR EXISTS (SELECT 1 FROM json_each(p.top_resource_ids) WHERE value = ${id})`);
    await tx.delete(resources).where(eq(resources.id, id));
    await tx.run(sql`DELETE FROM resources_fts WHERE resource_id = ${id}`);
    await deletePassages(tx, id);
    await deleteVectors(tx, id);
    await tx.delete(citations).where(eq(citations.sourceId, id));
    await tx.update(citations).set({ targetId: null }).where(eq(citations.targetId, id));
    await tx.delete(resourceKeys).where(eq(resourceKeys.resourceId, id));
    await tx.delete(categories).where(eq(categories.resourceId, id));
    await tx.delete(resourceAuthors).where(eq(resourceAuthors.resourceId, id));
    await tx.delete(interactions).where(eq(interactions.resourceId, id));
    await tx.delete(resourceStats).where(eq(resourceStats.resourceId, id));
    await tx.delete(qualityFlags).where(eq(qualityFlags.resourceId, id));
    await tx.delete(qualitySnapshots).where(eq(qualitySnapshots.resourceId, id));
    await tx.run(sql`
      UPDATE user_profiles SET top_resource_ids = (SELECT json_group_array(value) FROM json_each(top_resource_ids) WHERE value != ${id})
      WHERE EXISTS (SELECT 1 FROM json_each(top_resource_ids) WHERE value = ${id})`);
    const copies = await forgetFingerprint(tx, id);
    emit("resource.deleted", { resourceId: id, contentHash: current.contentHash });
    // A profile not yet stored (under 10 interactions) is built live from what is left; a stored one is rebuilt.
    for (const user of affected) {
      if (Number(user.stored)) emit("user.profile_refresh_requested", { userId: user.userId, resourceId: id, profileRefreshDue: true });
    }
    return { users: affected.map((u) => u.userId), freed: copies };
  });
  // Its near-copies are originals now: their cached views said otherwise.
  await invalidateNow(ctx, [`resource:${id}`, ...freed.map((f) => `resource:${f}`), ...ALL_SEARCH_TAGS, "graph", RECOMMENDATIONS_TAG, ...users.map((u) => `user:${u}`)], correlationId);
}
