/**
 * Invalidates the cached search results a change to one resource can alter,
 * and no others (docs/caching.md, "Search results"):
 *
 * - an FTS update: results whose query has a term whose count in the
 *   resource changed (it may now match, or rank differently), and results
 *   showing the resource unless it would be shown exactly the same (title,
 *   snippet, score), found in the result registry;
 * - a (re-)embedding: vector results listing the resource or that the new
 *   vector would enter (registry), and semantic totals when the number of
 *   embedded resources changed.
 *
 * When the precise answer is unavailable (too many terms, no or unreachable
 * registry) it falls back to the coarse tags, never to doing nothing.
 */
import type { FtsTerms } from "../adapters/libsql/ftsTerms";
import { TransientError, errorMessage } from "../errors";
import { DegradedModes, reportDegraded } from "../observability/degradation";
import type { CacheType } from "../ports/cache";
import type { Affected } from "../ports/resultRegistry";
import type { AppContext } from "./context";
import { invalidateNow } from "./resources";
import { shownDigestNow } from "./search";
import { ALL_SEARCH_TAGS, SearchTags, parseSearchKey } from "./searchCaching";

/** Most term tags one update invalidates; a larger change invalidates every cached result instead. */
export const MAX_TERM_TAGS = 5_000;

export interface SearchChange {
  resourceId: string;
  /**
   * When the FTS entry changed: the indexed columns before and after (same
   * order; `before` is empty for a first index), or "unknown" when the text it
   * replaced is not known (every keyword result may have matched it).
   */
  text?: { before: string[]; after: string[] } | "unknown";
  /** The resource's new vectors (title and passages), when it was (re-)embedded. */
  vectors?: ReadonlyArray<readonly number[]>;
  /** A resource gained or lost its vector, so the number of embedded resources changed. */
  countChanged?: boolean;
  /** Tags to invalidate as well (results filtering or counting by metadata the change touched). */
  alsoTags?: string[];
}

/**
 * Resolves once no reader can be served a result the change affects. If Redis
 * cannot be reached, the old text's terms would be lost with this attempt, so
 * the durable fallback is coarse: every cached search result, through the
 * cache-invalidation queue (`invalidateNow`). Throws a TransientError only if
 * even that could not be recorded, so the task is retried.
 */
export async function invalidateSearchResults(ctx: AppContext, change: SearchChange, correlationId: string): Promise<void> {
  try {
    await invalidatePrecisely(ctx, change);
  } catch (error) {
    coarse(`precise invalidation failed: ${errorMessage(error)}`);
    await invalidateNow(ctx, ALL_SEARCH_TAGS, correlationId).catch((e: unknown) => {
      throw new TransientError(`search cache invalidation failed: ${String(e)}`);
    });
  }
}

async function invalidatePrecisely(ctx: AppContext, change: SearchChange): Promise<void> {
  const tags: string[] = [];
  if (change.text === "unknown") tags.push(SearchTags.text);
  else if (change.text) tags.push(...(await changedTermTags(ctx.store.terms, change.text.before, change.text.after)));
  if (change.countChanged) tags.push(SearchTags.vectorCount);
  tags.push(...(change.alsoTags ?? []));
  // Every result carries `text`; only vector results carry `vectors`.
  const coarseTag = change.text ? SearchTags.text : SearchTags.vectors;
  const keys: Array<{ type: CacheType; key: string }> = [];
  if (ctx.searchResults) {
    try {
      const affected = await ctx.searchResults.affectedBy({ resourceId: change.resourceId, vectors: change.text ? undefined : change.vectors });
      for (const entry of affected) if (await stillAffected(ctx, entry)) keys.push({ type: "search", key: entry.key });
    } catch (error) {
      coarse(`result registry unavailable: ${errorMessage(error)}`);
      tags.push(coarseTag);
    }
  } else {
    tags.push(coarseTag);
  }
  await ctx.cache.invalidate({ tags, keys });
}

/** A result that only shows the changed resource stays if the resource would be shown the same. */
async function stillAffected(ctx: AppContext, { key, unlessShownAs }: Affected): Promise<boolean> {
  if (!unlessShownAs) return true;
  const parts = parseSearchKey(key);
  return !parts || (await shownDigestNow(ctx, parts, unlessShownAs)) !== unlessShownAs.digest;
}

/**
 * A column whose length changed by more than this fraction counts as changed
 * for every term in it: BM25 normalises by length, so all its scores moved.
 * Below it, scores of unchanged terms move by about as much as when any other
 * document's length changes the corpus average, which no cache tracks either
 * (docs/caching.md, "What 'never stale' covers").
 */
export const LENGTH_TOLERANCE = 0.05;

/** Tags of the terms whose score in this resource may have changed: their count changed, or their column's length did. */
export async function changedTermTags(terms: FtsTerms, before: readonly string[], after: readonly string[]): Promise<string[]> {
  try {
    const columns = Math.max(before.length, after.length);
    // Both versions of every column in one round trip.
    const counts = await terms.countsOf([...Array.from({ length: columns }, (_, i) => before[i] ?? ""), ...Array.from({ length: columns }, (_, i) => after[i] ?? "")]);
    const changed = new Set<string>();
    for (let i = 0; i < columns; i++) {
      const [was, is] = [counts[i] ?? new Map<string, number>(), counts[columns + i] ?? new Map<string, number>()];
      const [lengthWas, lengthIs] = [total(was), total(is)];
      const resized = Math.abs(lengthIs - lengthWas) > LENGTH_TOLERANCE * Math.max(lengthWas, 1);
      for (const [term, n] of was) if (resized || is.get(term) !== n) changed.add(term);
      for (const term of is.keys()) if (resized || !was.has(term)) changed.add(term);
    }
    if (changed.size > MAX_TERM_TAGS) {
      coarse(`${changed.size} terms changed (more than ${MAX_TERM_TAGS})`);
      return [SearchTags.text];
    }
    const tags = [...changed].map(SearchTags.term);
    // Phrase and prefix matches depend on more than term counts (word order; every term with the prefix).
    if (before.some((text, i) => text !== after[i]) || before.length !== after.length) tags.push(SearchTags.syntax);
    return tags;
  } catch (error) {
    coarse(`term extraction failed: ${errorMessage(error)}`);
    return [SearchTags.text];
  }
}

/** Every fall-back to coarse tags is counted (the search cache's hit rate depends on it being rare). */
function coarse(why: string): void {
  reportDegraded(DegradedModes.coarseSearchInvalidation, why);
}

function total(counts: ReadonlyMap<string, number>): number {
  let n = 0;
  for (const c of counts.values()) n += c;
  return n;
}
