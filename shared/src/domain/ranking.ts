/**
 * Rank arithmetic shared by hybrid search and the cache's check of whether a
 * new vector changes a cached hybrid page: both must compute it identically.
 */

/** RRF constant: dampens the weight of top ranks (Cormack et al. use 60). */
export const RRF_K = 60;

/**
 * Reciprocal rank fusion: each list adds 1 / (RRF_K + rank) to the resources
 * it holds (lists in the given order). Best first; ties keep first-seen order.
 */
export function fuseRanks(lists: ReadonlyArray<readonly string[]>): Array<{ id: string; score: number }> {
  const scores = new Map<string, number>();
  for (const list of lists) list.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (RRF_K + rank + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/** Scores as the API shows them. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
