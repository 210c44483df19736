/**
 * The small arithmetic the offline ranking probes share (tuneRanking.ts,
 * recallProbe.ts, embedProbe.ts, rerankProbe.ts): vectors, a top-k list, and
 * the search's hybrid fusion as it is served (domain/ranking.ts `fuseScores`:
 * keyword ÷ its best, semantic min-max over the first 50, keyword weight 0.7),
 * re-done on the probes' cached features.
 */

export type Ranked = Array<{ id: string; score: number }>;

/** L2-normalises `v` in place. */
export function normalise(v: Float32Array): Float32Array {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** The `k` best scores, ties by id (so every probe orders them alike). */
export function top(m: Map<string, number> | Record<string, number>, k = 100): Ranked {
  return [...(m instanceof Map ? m : Object.entries(m))]
    .map(([id, score]) => ({ id, score }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .slice(0, k);
}

/** The served hybrid: keyword ÷ its best, semantic min-max over the first 50, weighted `w` / 1 − `w` and added. */
export function fuseServed(kw: Ranked, sem: Ranked, w = 0.7): Ranked {
  const m = new Map<string, number>();
  const add = (id: string, v: number) => m.set(id, (m.get(id) ?? 0) + v);
  const best = kw[0]?.score ?? 0;
  if (best > 0) for (const s of kw) add(s.id, (w * s.score) / best);
  const hi = sem[0]?.score ?? 0;
  const lo = sem[Math.min(sem.length, 50) - 1]?.score ?? 0;
  for (const s of sem) add(s.id, (1 - w) * (hi > lo ? Math.max(0, (s.score - lo) / (hi - lo)) : 1));
  return top(m);
}
