/**
 * User interactions and recommendations. The interaction count is kept in the
 * same write as the interaction, so "every 10th interaction" is exact under
 * concurrency; the event carries `profileRefreshDue` and the route's rule
 * matches on it (docs/architecture.md, "Conditions in the event").
 */
import { desc, eq, inArray, sql } from "drizzle-orm";
import { interactions, resources, userProfiles } from "../adapters/libsql/schema";
import { NotFoundError } from "../errors";
import { buildProfile, rankCandidates, type Interaction } from "../domain/recommendations";
import type { AppContext } from "./context";
import { writeWithEvents } from "./unitOfWork";
import { invalidateNow } from "./resources";
import { nearest } from "./documentVectors";

export const PROFILE_REFRESH_EVERY = 10;
/** On every cached recommendation list: any of them may list a resource, so a deletion invalidates them all. */
export const RECOMMENDATIONS_TAG = "recommendations";
/** Interactions a profile is built from (the most recent). */
const PROFILE_HISTORY = 500;

export interface TrackInteractionInput {
  userId: string;
  resourceId: string;
  type: string;
  strength?: number;
}

export async function trackInteraction(ctx: AppContext, input: TrackInteractionInput, correlationId: string) {
  const result = await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    // Checked in the write: an interaction can never be stored for a resource deleted a moment before.
    const exists = await tx.select({ id: resources.id }).from(resources).where(eq(resources.id, input.resourceId));
    if (exists.length === 0) throw new NotFoundError(`resource ${input.resourceId}`);
    const [row] = await tx
      .insert(interactions)
      .values({ userId: input.userId, resourceId: input.resourceId, type: input.type, strength: input.strength ?? 1, createdAt: new Date().toISOString() })
      .returning({ id: interactions.id });
    const [profile] = await tx
      .insert(userProfiles)
      .values({ userId: input.userId, interactionCount: 1 })
      .onConflictDoUpdate({ target: userProfiles.userId, set: { interactionCount: sql`${userProfiles.interactionCount} + 1` } })
      .returning({ count: userProfiles.interactionCount });
    const count = profile?.count ?? 1;
    emit("user.interaction_tracked", {
      userId: input.userId,
      resourceId: input.resourceId,
      interactionType: input.type,
      interactionCount: count,
      profileRefreshDue: count % PROFILE_REFRESH_EVERY === 0,
    });
    return { id: row?.id ?? 0, interactionCount: count, profileRefreshDue: count % PROFILE_REFRESH_EVERY === 0 };
  });
  // What the user just saw must leave their recommendations at once.
  await invalidateNow(ctx, [`user:${input.userId}`], correlationId);
  return result;
}

async function recentInteractions(ctx: AppContext, userId: string): Promise<Interaction[]> {
  const rows = await ctx.store.db
    .select()
    .from(interactions)
    .where(eq(interactions.userId, userId))
    .orderBy(desc(interactions.id))
    .limit(PROFILE_HISTORY);
  return rows.map((r) => ({ resourceId: r.resourceId, type: r.type, strength: r.strength, at: new Date(r.createdAt) }));
}

/** Stored vectors of resources, as floats (only embedded resources appear). */
export async function embeddingsOf(ctx: AppContext, ids: readonly string[]): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const rows = await ctx.store.db.all<{ id: string; v: string }>(
      sql`SELECT resource_id AS id, vector_extract(vector) AS v FROM resource_embeddings WHERE resource_id IN (${sql.join(chunk.map((c) => sql`${c}`), sql`, `)})`,
    );
    for (const r of rows) out.set(r.id, Float32Array.from(JSON.parse(r.v) as number[]));
  }
  return out;
}

/** Builds a user's profile from their history (weighted by type, strength and recency). */
export async function computeProfile(ctx: AppContext, userId: string, now = new Date()) {
  const history = await recentInteractions(ctx, userId);
  const embeddings = await embeddingsOf(ctx, [...new Set(history.map((h) => h.resourceId))]);
  return { history, profile: buildProfile(history, embeddings, now, { dimensions: ctx.embedder.dimensions }) };
}

/** Why a profile is refreshed: its user's Nth interaction, or a request (a resource it was built from was deleted). */
export type RefreshTrigger = { dueAtCount: number } | { requestedAt: string };

export async function refreshProfile(ctx: AppContext, userId: string, trigger: RefreshTrigger, correlationId: string): Promise<"refreshed" | "current"> {
  const existing = await ctx.store.db.query.userProfiles.findFirst({ where: eq(userProfiles.userId, userId) });
  if ("dueAtCount" in trigger && existing && existing.refreshedCount >= trigger.dueAtCount) return "current";
  if ("requestedAt" in trigger && (!existing || (existing.refreshedAt !== null && existing.refreshedAt > trigger.requestedAt))) return "current";
  const dueAtCount = "dueAtCount" in trigger ? trigger.dueAtCount : 0;
  const { history, profile } = await computeProfile(ctx, userId);
  await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    await tx
      .update(userProfiles)
      .set({
        vector: Array.from(profile.vector),
        topResourceIds: profile.topResourceIds,
        refreshedAt: new Date().toISOString(),
        refreshedCount: sql`max(${userProfiles.refreshedCount}, ${dueAtCount})`,
        refreshCount: sql`${userProfiles.refreshCount} + 1`,
      })
      .where(eq(userProfiles.userId, userId));
    emit("user.profile_refreshed", { userId, interactions: history.length });
  });
  await ctx.cache.invalidate({ tags: [`user:${userId}`] }).catch(() => undefined);
  return "refreshed";
}

export interface Recommendations {
  userId: string;
  profile: { interactions: number; refreshedAt: string | null; source: "stored" | "live" | "none" };
  items: Array<{ id: string; title: string | null; score: number }>;
}

export async function recommendationsFor(ctx: AppContext, userId: string, limit: number): Promise<Recommendations> {
  return ctx.cache.getOrLoad(
    "recommendations",
    `${userId}|${limit}`,
    async () => {
      const stored = await ctx.store.db.query.userProfiles.findFirst({ where: eq(userProfiles.userId, userId) });
      if (!stored) throw new NotFoundError(`user ${userId}`);
      const seenRows = await ctx.store.db.selectDistinct({ id: interactions.resourceId }).from(interactions).where(eq(interactions.userId, userId));
      const seen = new Set(seenRows.map((r) => r.id));
      let vector: Float32Array;
      let source: Recommendations["profile"]["source"];
      if (stored.vector && stored.vector.length > 0) {
        vector = Float32Array.from(stored.vector);
        source = "stored";
      } else {
        // Fewer than 10 interactions: no stored profile yet, so build one now (not stored).
        vector = (await computeProfile(ctx, userId)).profile.vector;
        source = "live";
      }
      if (vector.every((x) => x === 0)) return { userId, profile: { interactions: stored.interactionCount, refreshedAt: stored.refreshedAt, source: "none" as const }, items: [] };
      const candidates = await nearest(ctx, Array.from(vector), Math.min(200, limit + seen.size));
      const vectors = await embeddingsOf(ctx, candidates.map((c) => c.id));
      const ranked = rankCandidates({ vector, weight: 1 }, [...vectors].map(([id, v]) => ({ id, vector: v })), seen, limit);
      const titles = new Map(candidates.map((c) => [c.id, c.title]));
      return {
        userId,
        profile: { interactions: stored.interactionCount, refreshedAt: stored.refreshedAt, source },
        items: ranked.map((r) => ({ id: r.id, title: titles.get(r.id) ?? null, score: Math.round(r.score * 1e6) / 1e6 })),
      };
    },
    { tags: [`user:${userId}`, RECOMMENDATIONS_TAG] },
  );
}

export async function interactionCount(ctx: AppContext, userId: string): Promise<number> {
  const [row] = await ctx.store.db.select({ n: userProfiles.interactionCount }).from(userProfiles).where(inArray(userProfiles.userId, [userId]));
  return row?.n ?? 0;
}
