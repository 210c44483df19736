/**
 * The semantic scan as it was before its SIMD pass (app/passageVectorIndex.ts):
 * one float64 pass over every row, each resource scored by the mean of its
 * best passage cosines. Tests compare the two-pass scan with it, bit for bit.
 */
import type { Nearest } from "@shared/app/passageVectorIndex";
import { keepBest, meanOf } from "@shared/domain/ranking";

export interface ScanRow {
  resourceId: string;
  ordinal: number;
  contentRevision: number;
  vector: Float32Array;
  norm: number;
}

/** A row with its norm computed as the index computes it. */
export function scanRow(resourceId: string, ordinal: number, contentRevision: number, vector: Float32Array): ScanRow {
  let n = 0;
  for (let i = 0; i < vector.length; i++) n += vector[i]! * vector[i]!;
  return { resourceId, ordinal, contentRevision, vector, norm: Math.sqrt(n) };
}

export function exactScan(rows: readonly ScanRow[], query: readonly number[], k: number, allowed: ReadonlySet<string> | null): Nearest[] {
  const q = Float32Array.from(query);
  let qn = 0;
  for (let i = 0; i < q.length; i++) qn += q[i]! * q[i]!;
  qn = Math.sqrt(qn);
  const best = new Map<string, { ordinal: number; contentRevision: number; top: number; scores: number[] }>();
  for (const row of rows) {
    if (allowed && !allowed.has(row.resourceId)) continue;
    if (row.norm === 0) continue;
    let dot = 0;
    for (let i = 0; i < row.vector.length; i++) dot += q[i]! * row.vector[i]!;
    const score = dot / (qn * row.norm);
    const known = best.get(row.resourceId);
    if (!known) {
      best.set(row.resourceId, { ordinal: row.ordinal, contentRevision: row.contentRevision, top: score, scores: [score] });
      continue;
    }
    keepBest(known.scores, score);
    if (score > known.top || (score === known.top && row.ordinal < known.ordinal)) Object.assign(known, { top: score, ordinal: row.ordinal, contentRevision: row.contentRevision });
  }
  return [...best]
    .map(([id, b]) => ({ id, score: meanOf(b.scores), ordinal: b.ordinal, contentRevision: b.contentRevision }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .slice(0, k);
}
