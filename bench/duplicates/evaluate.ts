/**
 * Precision and recall of near-duplicate detection on the labelled set
 * (labelledSet.ts). Each document goes through the real extraction
 * (extractDocument) and the real fingerprint; the library's candidates are
 * found by LSH band keys and judged by the same `bestMatch` ingestion uses.
 */
import { extractDocument } from "@shared/ingest/extract";
import { bandKeys, bestMatch, DUPLICATE_THRESHOLD, estimatedSimilarity, fingerprintOf, MIN_SHINGLES } from "@shared/domain/fingerprint";
import type { LabelledDocument, LabelledSet } from "./labelledSet";

export interface DuplicateFigures {
  threshold: number;
  originals: number;
  nearCopies: number;
  nonDuplicates: number;
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  precision: number;
  recall: number;
  /** Recall per kind of near-copy, and false-positive rate of siblings. */
  byKind: Record<string, { n: number; found: number }>;
  /** Highest similarity any non-duplicate had to any original, and lowest of near-copies to their own. */
  hardestNonDuplicate: { page: string; similarity: number } | null;
  hardestNearCopy: { page: string; kind: string; similarity: number } | null;
  /** LSH candidates looked at per probe (mean): what the band lookup saves over comparing with every original. */
  meanCandidates: number;
  fingerprintMsPerDocument: number;
}

interface Fingerprinted {
  doc: LabelledDocument;
  signature: Uint32Array;
  keys: string[];
  shingles: number;
}

async function fingerprintDocument(doc: LabelledDocument): Promise<Fingerprinted & { ms: number }> {
  const extracted = await extractDocument({ bytes: new TextEncoder().encode(doc.content), contentType: doc.contentType, url: doc.url });
  const t0 = performance.now();
  const fp = fingerprintOf(extracted.text);
  const keys = bandKeys(fp.signature);
  return { doc, signature: fp.signature, keys, shingles: fp.shingles, ms: performance.now() - t0 };
}

export async function evaluateDuplicates(set: LabelledSet, thresholds: readonly number[] = [DUPLICATE_THRESHOLD]): Promise<DuplicateFigures[]> {
  let fingerprintMs = 0;
  const library: Fingerprinted[] = [];
  const index = new Map<string, number[]>();
  for (const doc of set.originals) {
    const f = await fingerprintDocument(doc);
    fingerprintMs += f.ms;
    for (const key of f.keys) index.set(key, [...(index.get(key) ?? []), library.length]);
    library.push(f);
  }
  const probes = await Promise.all(set.probes.map(fingerprintDocument));
  fingerprintMs += probes.reduce((s, p) => s + p.ms, 0);
  let candidatesSeen = 0;
  const judged = probes.map((p) => {
    const found = new Set<number>();
    if (p.shingles >= MIN_SHINGLES) for (const key of p.keys) for (const i of index.get(key) ?? []) found.add(i);
    candidatesSeen += found.size;
    const candidates = [...found].sort((a, b) => a - b).map((i) => ({ id: library[i]!.doc.page, signature: library[i]!.signature }));
    const own = p.doc.duplicateOf ? library.find((l) => l.doc.page === p.doc.duplicateOf) : undefined;
    const bestAny = Math.max(0, ...library.filter((l) => l.doc.page !== p.doc.page).map((l) => estimatedSimilarity(p.signature, l.signature)));
    return { p, candidates, ownSimilarity: own ? estimatedSimilarity(p.signature, own.signature) : null, bestAny };
  });
  return thresholds.map((threshold) => {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    const byKind: DuplicateFigures["byKind"] = {};
    for (const { p, candidates } of judged) {
      const match = bestMatch(p.signature, candidates, threshold);
      const kind = (byKind[p.doc.kind] ??= { n: 0, found: 0 });
      kind.n++;
      if (match) kind.found++;
      if (p.doc.duplicateOf) {
        if (match?.id === p.doc.duplicateOf) tp++;
        else {
          fn++;
          if (match) fp++;
        }
      } else if (match) fp++;
    }
    const nonDup = judged.filter((j) => !j.p.doc.duplicateOf).sort((a, b) => b.bestAny - a.bestAny)[0];
    const near = judged.filter((j) => j.p.doc.duplicateOf).sort((a, b) => (a.ownSimilarity ?? 0) - (b.ownSimilarity ?? 0))[0];
    return {
      threshold,
      originals: set.originals.length,
      nearCopies: set.probes.filter((p) => p.duplicateOf).length,
      nonDuplicates: set.probes.filter((p) => !p.duplicateOf).length,
      truePositives: tp,
      falsePositives: fp,
      falseNegatives: fn,
      precision: tp + fp === 0 ? 1 : tp / (tp + fp),
      recall: tp + fn === 0 ? 1 : tp / (tp + fn),
      byKind,
      hardestNonDuplicate: nonDup ? { page: nonDup.p.doc.page, similarity: nonDup.bestAny } : null,
      hardestNearCopy: near ? { page: near.p.doc.page, kind: near.p.doc.kind, similarity: near.ownSimilarity ?? 0 } : null,
      meanCandidates: judged.length ? candidatesSeen / judged.length : 0,
      fingerprintMsPerDocument: fingerprintMs / (set.originals.length + set.probes.length),
    };
  });
}
