/**
 * Tags: a person's own labels beside the fixed taxonomy (issue 18). People
 * create tags, attach them by hand, and filter search by them. The tag model
 * learns from what people decided (tags attached or accepted are positive
 * examples, rejected suggestions negative ones) and suggests tags for the
 * resources nobody decided about, each with a confidence; accepting or
 * rejecting a suggestion is a label the next training learns from.
 *
 * Training runs in the background, never inside an HTTP request: a request
 * (`POST /tags/suggestions`, or a person's verdict) is numbered and announced
 * as `tags.retrain_requested`; the `tag-suggestions` task (debounced by its
 * queue's delay) trains and refreshes the suggestions, and a run covers every
 * request numbered before it read the decisions (`tagTrainingStatus`).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { resources, resourceTags, tags } from "../adapters/libsql/schema";
import { predict, train, type LabelledExample } from "../domain/classifier";
import { HttpError, NotFoundError } from "../errors";
import { tagKey } from "../domain/tagNames";
import { seedExamples } from "../domain/taxonomySeed";
import { newId } from "../util/ids";
import type { Tx } from "../adapters/libsql/store";
import type { TaskOutcome } from "../tasks/ledgerScope";
import type { AppContext } from "./context";
import { invalidateNow } from "./resources";
import { writeWithEvents, type Emit } from "./unitOfWork";
import { SearchTags } from "./searchCaching";

type TagState = (typeof resourceTags.$inferSelect)["state"];
/** States that mean "this resource has this tag". */
export const TAGGED: TagState[] = ["manual", "accepted"];

/** Fewest positive examples a tag needs before the model suggests it. */
export const MIN_POSITIVES = 2;
/**
 * Suggestions below this confidence are not shown. Measured (`npm run eval:tags`,
 * docs/pages.md "How good are suggestions"): at 0.6 about 62% of suggestions were
 * right; confidences under 0.95 were right 31–54% of the time, above it 69–86%.
 */
export const SUGGEST_THRESHOLD = 0.95;
/**
 * Seed passages a tag model sees as "not this tag". Fewer let a resource on an
 * unrelated topic through (with 2 positives: 16 passages suggested a sailing
 * text for a baking tag at 0.97, 64 at 0.49, 120 at 0.00; 120 and 360 suggest
 * the same baking texts), and each one costs training time.
 */
const BACKGROUND_PASSAGES = 120;
/** Characters of a resource's text the tag model reads. */
const TEXT_CHARS = 20_000;
const OTHER = "\u0000other";


export interface TagView {
  id: string;
  name: string;
  resources: number;
}

export async function createTag(ctx: AppContext, name: string): Promise<{ id: string; name: string; created: boolean }> {
  const clean = name.normalize("NFC").trim().replace(/\s+/g, " ");
  if (!clean) throw new HttpError(400, "a tag name must not be empty");
  const key = tagKey(clean);
  return ctx.store.write(async (tx) => {
    const [existing] = await tx.select().from(tags).where(eq(tags.key, key)).limit(1);
    if (existing) return { id: existing.id, name: existing.name, created: false };
    const id = newId();
    await tx.insert(tags).values({ id, name: clean, key, createdAt: new Date().toISOString() });
    return { id, name: clean, created: true };
  });
}

export async function listTags(ctx: AppContext): Promise<{ items: TagView[] }> {
  const rows = await ctx.store.db.all<{ id: string; name: string; n: number }>(sql`
    SELECT t.id AS id, t.name AS name, count(rt.resource_id) AS n FROM tags t
    LEFT JOIN resource_tags rt ON rt.tag_id = t.id AND rt.state IN ('manual', 'accepted')
    GROUP BY t.id ORDER BY t.name`);
  return { items: rows.map((r) => ({ id: r.id, name: r.name, resources: Number(r.n) })) };
}

export interface ResourceTags {
  id: string;
  tags: Array<{ name: string; source: "manual" | "accepted" }>;
  suggestions: Array<{ name: string; confidence: number }>;
}

export async function tagsOf(ctx: AppContext, id: string): Promise<ResourceTags> {
  const exists = await ctx.store.db.query.resources.findFirst({ where: eq(resources.id, id), columns: { id: true } });
  if (!exists) throw new NotFoundError(`resource ${id}`);
  const rows = await ctx.store.db
    .select({ name: tags.name, state: resourceTags.state, confidence: resourceTags.confidence })
    .from(resourceTags)
    .innerJoin(tags, eq(tags.id, resourceTags.tagId))
    .where(eq(resourceTags.resourceId, id));
  return {
    id,
    tags: rows.filter((r) => TAGGED.includes(r.state)).map((r) => ({ name: r.name, source: r.state as "manual" | "accepted" })).sort((a, b) => a.name.localeCompare(b.name)),
    suggestions: rows
      .filter((r) => r.state === "suggested")
      .map((r) => ({ name: r.name, confidence: r.confidence ?? 0 }))
      .sort((a, b) => b.confidence - a.confidence),
  };
}

/**
 * Sets the tags a person gave a resource (creating unknown tags). A tag they
 * remove is recorded as rejected, so the model learns it does not fit.
 */
export async function setResourceTags(ctx: AppContext, id: string, names: readonly string[], correlationId: string): Promise<ResourceTags> {
  const wanted = new Map<string, string>();
  for (const n of names) if (tagKey(n)) wanted.set(tagKey(n), n);
  const created = await Promise.all([...wanted.values()].map((n) => createTag(ctx, n)));
  const wantedIds = new Set(created.map((t) => t.id));
  const now = new Date().toISOString();
  await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    const exists = await tx.query.resources.findFirst({ where: eq(resources.id, id), columns: { id: true } });
    if (!exists) throw new NotFoundError(`resource ${id}`);
    const current = await tx.select().from(resourceTags).where(eq(resourceTags.resourceId, id));
    let changed = false;
    for (const row of current) {
      if (TAGGED.includes(row.state) && !wantedIds.has(row.tagId)) {
        await tx.update(resourceTags).set({ state: "rejected", updatedAt: now }).where(and(eq(resourceTags.resourceId, id), eq(resourceTags.tagId, row.tagId)));
        changed = true;
      }
    }
    for (const tagId of wantedIds) {
      const row = current.find((r) => r.tagId === tagId);
      if (row && TAGGED.includes(row.state)) continue;
      // A suggestion the person attached by hand counts as accepted.
      const state: TagState = row?.state === "suggested" ? "accepted" : "manual";
      await tx
        .insert(resourceTags)
        .values({ resourceId: id, tagId, state, confidence: row?.confidence ?? null, updatedAt: now })
        .onConflictDoUpdate({ target: [resourceTags.resourceId, resourceTags.tagId], set: { state, updatedAt: now } });
      changed = true;
    }
    // A new decision is a new label: the tag models learn it in the next (debounced) run.
    if (changed) await requestRetrainingIn(tx, emit, "verdict");
  });
  await invalidateNow(ctx, [SearchTags.meta("tags")], correlationId);
  return tagsOf(ctx, id);
}

/** A person's verdict on a tag for a resource: accept (it fits) or reject (it does not). */
export async function decideTag(ctx: AppContext, id: string, name: string, verdict: "accept" | "reject", correlationId: string): Promise<ResourceTags> {
  const [tag] = await ctx.store.db.select().from(tags).where(eq(tags.key, tagKey(name))).limit(1);
  if (!tag) throw new NotFoundError(`tag ${name}`);
  const now = new Date().toISOString();
  const state: TagState = verdict === "accept" ? "accepted" : "rejected";
  await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    const exists = await tx.query.resources.findFirst({ where: eq(resources.id, id), columns: { id: true } });
    if (!exists) throw new NotFoundError(`resource ${id}`);
    const [before] = await tx.select({ state: resourceTags.state }).from(resourceTags).where(and(eq(resourceTags.resourceId, id), eq(resourceTags.tagId, tag.id)));
    await tx
      .insert(resourceTags)
      .values({ resourceId: id, tagId: tag.id, state, confidence: null, updatedAt: now })
      .onConflictDoUpdate({ target: [resourceTags.resourceId, resourceTags.tagId], set: { state, updatedAt: now } });
    // A new verdict is a new label (the same verdict again is not).
    if (before?.state !== state) await requestRetrainingIn(tx, emit, "verdict");
  });
  await invalidateNow(ctx, [SearchTags.meta("tags")], correlationId);
  return tagsOf(ctx, id);
}

/** `n` seed passages spread evenly over the corpus (which is ordered by topic): deterministic. */
async function background(n: number): Promise<string[]> {
  const seed = await seedExamples();
  const take = Math.min(n, seed.length);
  return Array.from({ length: take }, (_, i) => seed[Math.floor((i * seed.length) / take)]!.text);
}

export function textOf(r: { title: string | null; content: string | null }): string {
  return `${r.title ?? ""}\n${(r.content ?? "").slice(0, TEXT_CHARS)}`;
}

/** Undecided resources a tag model sees as "not this tag" when `libraryBackground` is on. */
const LIBRARY_BACKGROUND = 200;

/**
 * The tag model: trained on the texts of the tag's positive examples against
 * its negatives plus background text, it answers each candidate's confidence
 * that the tag applies. `suggestTags` keeps those ≥ SUGGEST_THRESHOLD;
 * `npm run eval:tags` measures it on a labelled set.
 *
 * Background: the seed passages, and with `libraryBackground` also undecided
 * resources of the library itself (most are not this tag), cross-fitted: the
 * candidates are split in two halves and each half is scored by a model whose
 * background is drawn from the other half, so no candidate is scored by a
 * model that was told it is "not this tag".
 */
export async function scoreTag(
  positives: readonly string[],
  negatives: readonly string[],
  candidates: ReadonlyArray<{ id: string; text: string }>,
  options: { libraryBackground?: boolean } = {},
): Promise<Array<{ id: string; confidence: number }>> {
  const TAG = "\u0000tag";
  const base: LabelledExample[] = [
    ...positives.map((text) => ({ text, category: TAG })),
    ...negatives.map((text) => ({ text, category: OTHER })),
    ...(await background(BACKGROUND_PASSAGES)).map((text) => ({ text, category: OTHER })),
  ];
  const score = (model: ReturnType<typeof train>, c: { id: string; text: string }) => ({ id: c.id, confidence: predict(model, c.text, 2).find((p) => p.category === TAG)?.confidence ?? 0 });
  if (!options.libraryBackground || candidates.length < 4) {
    const model = train(base);
    return candidates.map((c) => score(model, c));
  }
  const halves = [candidates.filter((_, i) => i % 2 === 0), candidates.filter((_, i) => i % 2 === 1)];
  const scored = new Map<string, number>();
  for (const [h, half] of halves.entries()) {
    const other = halves[1 - h]!;
    const take = Math.min(LIBRARY_BACKGROUND, other.length);
    const drawn = Array.from({ length: take }, (_, i) => other[Math.floor((i * other.length) / take)]!.text);
    const model = train([...base, ...drawn.map((text) => ({ text, category: OTHER }))]);
    for (const c of half) scored.set(c.id, score(model, c).confidence);
  }
  return candidates.map((c) => ({ id: c.id, confidence: scored.get(c.id)! }));
}

export interface SuggestSummary {
  /** Tags with enough examples to learn. */
  trained: number;
  /** Tags skipped for having fewer than MIN_POSITIVES examples. */
  tooFewExamples: number;
  suggested: number;
  withdrawn: number;
}

/**
 * Trains one model per tag on people's decisions and stores a suggestion for
 * each undecided resource the model finds likely (≥ SUGGEST_THRESHOLD); an
 * older suggestion that no longer clears the bar is withdrawn. Deterministic:
 * the same decisions give the same suggestions.
 */
export async function suggestTags(ctx: AppContext): Promise<SuggestSummary> {
  const summary: SuggestSummary = { trained: 0, tooFewExamples: 0, suggested: 0, withdrawn: 0 };
  const allTags = await ctx.store.db.select().from(tags);
  if (allTags.length === 0) return summary;
  const decisions = await ctx.store.db.select().from(resourceTags);
  const docs = await ctx.store.db
    .select({ id: resources.id, title: resources.title, content: resources.content })
    .from(resources)
    .where(eq(resources.ingestionStatus, "completed"))
    .orderBy(resources.id);
  const text = new Map(docs.map((d) => [d.id, textOf(d)]));
  const now = new Date().toISOString();
  for (const tag of allTags) {
    const mine = decisions.filter((d) => d.tagId === tag.id);
    const positives = mine.filter((d) => TAGGED.includes(d.state) && text.has(d.resourceId)).map((d) => d.resourceId);
    if (positives.length < MIN_POSITIVES) {
      summary.tooFewExamples++;
      continue;
    }
    const decided = new Set(mine.filter((d) => d.state !== "suggested").map((d) => d.resourceId));
    // "Not this tag": what people rejected, resources people tagged otherwise, and general
    // background text (the seed corpus, spread over its topics). Undecided resources are never
    // trained on: they are what the model is asked about.
    const rejected = mine.filter((d) => d.state === "rejected").map((d) => d.resourceId);
    const taggedOtherwise = decisions.filter((d) => d.tagId !== tag.id && TAGGED.includes(d.state) && !decided.has(d.resourceId)).map((d) => d.resourceId);
    const negatives = [...new Set([...rejected, ...taggedOtherwise])].filter((id) => text.has(id));
    summary.trained++;
    const previous = new Map(mine.filter((d) => d.state === "suggested").map((d) => [d.resourceId, d]));
    const candidates = docs.filter((d) => !decided.has(d.id)).map((d) => ({ id: d.id, text: text.get(d.id)! }));
    const scored = await scoreTag(
      positives.map((id) => text.get(id)!),
      negatives.map((id) => text.get(id)!),
      candidates,
    );
    const keep = scored
      .filter((c) => c.confidence >= SUGGEST_THRESHOLD)
      .map((c) => ({ resourceId: c.id, confidence: Math.round(c.confidence * 1000) / 1000 }));
    const keepIds = new Set(keep.map((k) => k.resourceId));
    const withdraw = [...previous.keys()].filter((id) => !keepIds.has(id));
    await ctx.store.write(async (tx) => {
      if (withdraw.length > 0) await tx.delete(resourceTags).where(and(eq(resourceTags.tagId, tag.id), eq(resourceTags.state, "suggested"), inArray(resourceTags.resourceId, withdraw)));
      for (const k of keep) {
        // Only an undecided row may change: a verdict given meanwhile wins.
        await tx
          .insert(resourceTags)
          .values({ resourceId: k.resourceId, tagId: tag.id, state: "suggested", confidence: k.confidence, updatedAt: now })
          .onConflictDoUpdate({ target: [resourceTags.resourceId, resourceTags.tagId], set: { confidence: k.confidence, updatedAt: now }, setWhere: sql`${resourceTags.state} = 'suggested'` });
      }
    });
    summary.suggested += keep.filter((k) => !previous.has(k.resourceId)).length;
    summary.withdrawn += withdraw.length;
  }
  return summary;
}

/** `search_state` keys: the last request number (and when), and the last finished run. */
const REQUESTED = "tag_suggestions.requested";
const TRAINED = "tag_suggestions.trained";

export type RetrainTrigger = "api" | "verdict" | "job";

/** One finished training run. `covers`: the last request numbered before it read people's decisions. */
export interface TagTrainingRun {
  covers: number;
  trigger: RetrainTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  summary: SuggestSummary;
}

export interface TagTrainingStatus {
  /** Requests numbered so far (0: none yet). */
  requested: number;
  requestedAt: string | null;
  lastRun: TagTrainingRun | null;
  /** A request no finished run covers yet: suggestions will change when it is done. */
  pending: boolean;
}

type Reader = Pick<Tx, "all">;

async function readState<T>(db: Reader, key: string): Promise<T | null> {
  const [row] = await db.all<{ value: string }>(sql`SELECT value FROM search_state WHERE key = ${key}`);
  return row ? (JSON.parse(row.value) as T) : null;
}

async function writeState(tx: Tx, key: string, value: unknown): Promise<void> {
  await tx.run(sql`INSERT OR REPLACE INTO search_state (key, value) VALUES (${key}, ${JSON.stringify(value)})`);
}

/**
 * Inside a write transaction: numbers a retraining request and announces it
 * (`tags.retrain_requested`), with the change that asked for it.
 */
export async function requestRetrainingIn(tx: Tx, emit: Emit, trigger: Exclude<RetrainTrigger, "job">): Promise<{ request: number; requestedAt: string }> {
  const previous = await readState<{ request: number }>(tx, REQUESTED);
  const next = { request: (previous?.request ?? 0) + 1, requestedAt: new Date().toISOString() };
  await writeState(tx, REQUESTED, next);
  emit("tags.retrain_requested", { request: next.request, trigger });
  return next;
}

/** `POST /tags/suggestions`: asks for a retraining; the task does it (the caller polls `tagTrainingStatus`). */
export async function requestRetraining(ctx: AppContext, correlationId: string): Promise<{ request: number; requestedAt: string }> {
  return writeWithEvents(ctx, correlationId, (tx, emit) => requestRetrainingIn(tx, emit, "api"));
}

export async function tagTrainingStatus(ctx: Pick<AppContext, "store">): Promise<TagTrainingStatus> {
  const requested = await readState<{ request: number; requestedAt: string }>(ctx.store.db, REQUESTED);
  const lastRun = await readState<TagTrainingRun>(ctx.store.db, TRAINED);
  const n = requested?.request ?? 0;
  return { requested: n, requestedAt: requested?.requestedAt ?? null, lastRun, pending: n > (lastRun?.covers ?? 0) };
}

/**
 * Trains the tag models and refreshes the suggestions (`suggestTags`), then
 * records the run. The request number is read before any decision is, so
 * every request up to it, and the decision that came with it, is in what
 * this run learned from. `outcome`: the task's ledger rows, written with the
 * record (one commit per task run).
 */
export async function refreshTagSuggestions(
  ctx: AppContext,
  trigger: RetrainTrigger,
  correlationId: string,
  outcome?: (run: TagTrainingRun) => TaskOutcome,
): Promise<TagTrainingRun> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const covers = (await readState<{ request: number }>(ctx.store.db, REQUESTED))?.request ?? 0;
  const summary = await suggestTags(ctx);
  const run: TagTrainingRun = { covers, trigger, startedAt, finishedAt: new Date().toISOString(), durationMs: Date.now() - started, summary };
  await writeWithEvents(
    ctx,
    correlationId,
    async (tx) => {
      // Two runs at once: the one that read later requests stays the record.
      const last = await readState<TagTrainingRun>(tx, TRAINED);
      if (!last || last.covers <= covers) await writeState(tx, TRAINED, run);
      return run;
    },
    outcome ? { outcome } : {},
  );
  return run;
}
