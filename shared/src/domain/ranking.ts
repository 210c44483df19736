/**
 * Ranking arithmetic shared by search and by the cache's check of whether a
 * new vector changes a cached result (cache/results/records.ts): both must
 * compute it identically, so it lives here, pure.
 */

export interface Scored {
  id: string;
  score: number;
}

/**
 * Hybrid fusion: each side's scores are put on [0, 1], weighted and added; a
 * resource found by one side only gets that side's part.
 *
 * - Keyword (BM25): divided by the best score. BM25 of a strong match stands
 *   far above the rest, and dividing keeps that; it also keeps the fused
 *   score as stable as BM25 itself when corpus statistics drift (a min-max
 *   scale would magnify the drift by 1/(best − worst)).
 * - Semantic (documentSimilarity: mean of cosines): min-max over the first {@link NORMALISATION_WINDOW}
 *   hits (the best becomes 1, the window's last 0, anything further down 0):
 *   the encoder's cosines sit in a narrow band (0.3–0.6), which a division by
 *   the best would leave nearly flat.
 *
 * Chosen on the evaluation set over reciprocal rank fusion (which flattens
 * how far apart one side's hits are) and min-max or max scaling on both sides
 * (docs/search.md; the weight, 0.7, was retuned with the mean-of-best-three
 * similarity: "Tuning the hybrid"). A resource's fused score does not depend on how many
 * candidates were fetched beyond the window, so every page of one query is
 * cut from one ranking.
 *
 * Best first; ties by keyword score, then id, so the order never depends on input order.
 */
export function fuseScores(keyword: readonly Scored[], semantic: readonly Scored[], keywordWeight = KEYWORD_WEIGHT): Scored[] {
  const fused = new Map<string, { score: number; keyword: number }>();
  const entry = (id: string) => {
    let e = fused.get(id);
    if (!e) fused.set(id, (e = { score: 0, keyword: Number.NEGATIVE_INFINITY }));
    return e;
  };
  const best = keyword.reduce((m, s) => Math.max(m, s.score), 0);
  if (best > 0) {
    for (const s of keyword) {
      const e = entry(s.id);
      e.score += (keywordWeight * Math.max(0, s.score)) / best;
      e.keyword = s.score;
    }
  }
  const sorted = [...semantic].sort(byScoreThenId);
  const hi = sorted[0]?.score ?? 0;
  const lo = sorted[Math.min(sorted.length, NORMALISATION_WINDOW) - 1]?.score ?? 0;
  for (const s of sorted) entry(s.id).score += (1 - keywordWeight) * (hi > lo ? Math.max(0, (s.score - lo) / (hi - lo)) : 1);
  return [...fused]
    .sort(([ia, a], [ib, b]) => b.score - a.score || b.keyword - a.keyword || (ia < ib ? -1 : ia > ib ? 1 : 0))
    .map(([id, e]) => ({ id, score: e.score }));
}

/** Semantic hits that min-max normalisation spans. */
export const NORMALISATION_WINDOW = 50;
/** The keyword side's weight in {@link fuseScores} (the semantic side has the rest), chosen on the evaluation set. */
export const KEYWORD_WEIGHT = 0.7;

/**
 * How many of a document's best passage (and title) similarities its own
 * similarity averages. The best one alone let a page win on one passage that
 * happens to sit near the query; the mean of the best three rewards pages
 * that are about the query in several places, and an average over all would
 * let long pages' other topics drown them (docs/search.md, "Tuning the
 * hybrid": semantic success@5 on the full manual 47.8% → 56.2%).
 */
export const PASSAGES_PER_DOCUMENT = 3;

/**
 * A document's similarity to a query from its passage vectors: the mean of
 * its best {@link PASSAGES_PER_DOCUMENT} cosines (of all of them when it has
 * fewer). NaN when no vector has a direction.
 */
export function documentSimilarity(query: ArrayLike<number>, vectors: ReadonlyArray<ArrayLike<number>>): number {
  const best: number[] = [];
  for (const v of vectors) {
    const c = cosine(query, v);
    if (!Number.isNaN(c)) keepBest(best, c);
  }
  return meanOf(best);
}

/** Adds `score` to `best` (descending, at most PASSAGES_PER_DOCUMENT long) when it is among the best. */
export function keepBest(best: number[], score: number): void {
  if (best.length === PASSAGES_PER_DOCUMENT && score <= best[best.length - 1]!) return;
  let i = best.length;
  while (i > 0 && best[i - 1]! < score) i--;
  best.splice(i, 0, score);
  if (best.length > PASSAGES_PER_DOCUMENT) best.pop();
}

/** The mean of the kept scores, NaN for none (summed best first, so the result never depends on input order). */
export function meanOf(best: readonly number[]): number {
  if (best.length === 0) return Number.NaN;
  let sum = 0;
  for (const x of best) sum += x;
  return sum / best.length;
}

/** Cosine in float32 arithmetic of the inputs, NaN when a vector has no direction or the lengths differ. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.NaN;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.fround(a[i]!);
    const y = Math.fround(b[i]!);
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? Number.NaN : dot / Math.sqrt(na * nb);
}

export function byScoreThenId(a: Scored, b: Scored): number {
  return b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Scores as the API shows them. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
