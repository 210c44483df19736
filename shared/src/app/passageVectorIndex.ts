/**
 * The passage vectors of one embedder, held in this process's memory for the
 * semantic scan. libSQL's exact scan (`vector_distance_cos` over every row,
 * grouped by resource) took ~190 ms for 15,000 passages on this machine, and
 * its DiskANN index made every insert slow enough to dominate an import; a
 * scan in memory takes a few milliseconds and is exact.
 *
 * The store stays the truth: before every scan the index reads the count and
 * the largest id of the embedder's rows (one index read, well under a
 * millisecond). Ids only grow (AUTOINCREMENT), so when both equal what it
 * holds, nothing was added or removed; otherwise it compares the ids (15 ms
 * for 4,000 rows, which is why that is not done on every scan), drops the
 * rows that are gone and loads the new ones. A scan always sees exactly the
 * rows committed when it started.
 * About 2 KB per passage (512 floats): 30 MB for the PostgreSQL manual, in
 * one slab (vectorSlab.ts).
 *
 * The scan runs in two passes with the same results as one exact pass:
 * SIMD float32 dot products of every row (util/simdDots.ts) give each
 * resource an approximate similarity, off by at most a known bound; only the
 * resources that can still be among the best `k` (within twice the bound of
 * the k-th) are then scored exactly, with the float64 loop the scan has
 * always used.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../adapters/libsql/store";
import { keepBest, meanOf, PASSAGES_PER_DOCUMENT } from "../domain/ranking";
import { dotErrorBound } from "../util/simdDots";
import { VectorSlab } from "./vectorSlab";

interface ModelIndex {
  /** Every row held, by id: its slot in the slab, or -1 for a row whose length is not the slab's (never scored). */
  rows: Map<number, number>;
  /** Made with the first row's length. */
  slab: VectorSlab | null;
  /** Largest id ever loaded (new rows are read above it). */
  maxId: number;
  /** Largest id among the rows held (with rows.size: what the store is compared with). */
  heldMaxId: number;
  /** One refresh at a time; concurrent scans wait for it. */
  refreshing: Promise<void> | null;
}

export interface Nearest {
  id: string;
  score: number;
  ordinal: number;
  contentRevision: number;
}

const indexes = new WeakMap<Store, Map<string, ModelIndex>>();

function indexOf(store: Store, model: string): ModelIndex {
  let byModel = indexes.get(store);
  if (!byModel) indexes.set(store, (byModel = new Map()));
  let index = byModel.get(model);
  if (!index) byModel.set(model, (index = { rows: new Map(), slab: null, maxId: 0, heldMaxId: 0, refreshing: null }));
  return index;
}

/** Brings the index of `model` up to the committed rows. */
async function refresh(store: Store, model: string): Promise<ModelIndex> {
  const index = indexOf(store, model);
  while (index.refreshing) await index.refreshing;
  index.refreshing = (async () => {
    const [held] = await store.db.all<{ n: number; top: number | null }>(sql`SELECT count(*) AS n, max(id) AS top FROM passage_vectors WHERE model = ${model}`);
    if (Number(held?.n ?? 0) === index.rows.size && Number(held?.top ?? 0) === index.heldMaxId) return;
    const ids = await store.db.all<{ id: number }>(sql`SELECT id FROM passage_vectors WHERE model = ${model}`);
    const current = new Set(ids.map((r) => Number(r.id)));
    for (const [id, slot] of index.rows) {
      if (current.has(id)) continue;
      index.rows.delete(id);
      if (slot >= 0) index.slab!.remove(slot);
    }
    const missing = ids.some((r) => !index.rows.has(Number(r.id)));
    if (missing) await loadAbove(store, model, index, current);
    index.heldMaxId = 0;
    for (const id of index.rows.keys()) index.heldMaxId = Math.max(index.heldMaxId, id);
  })().finally(() => {
    index.refreshing = null;
  });
  await index.refreshing;
  return index;
}

/** Loads the rows of `model` above the largest id loaded so far that are still among `current`. */
async function loadAbove(store: Store, model: string, index: ModelIndex, current: ReadonlySet<number>): Promise<void> {
  const fresh = await store.db.all<{ id: number; resource_id: string; ordinal: number; content_revision: number; vector: ArrayBuffer | Uint8Array }>(
    sql`SELECT id, resource_id, ordinal, content_revision, vector FROM passage_vectors WHERE model = ${model} AND id > ${index.maxId}`,
  );
  for (const r of fresh) {
    const id = Number(r.id);
    if (!current.has(id)) continue; // deleted between the two reads: the next refresh would drop it anyway
    const bytes = r.vector instanceof Uint8Array ? r.vector : new Uint8Array(r.vector);
    const vector = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let norm = 0;
    for (let i = 0; i < vector.length; i++) norm += vector[i]! * vector[i]!;
    index.slab ??= new VectorSlab(vector.length);
    const slot =
      vector.length === index.slab.dimensions
        ? index.slab.add({ rowId: id, resourceId: String(r.resource_id), ordinal: Number(r.ordinal), contentRevision: Number(r.content_revision), vector, norm: Math.sqrt(norm) })
        : -1;
    index.rows.set(id, slot);
    index.maxId = Math.max(index.maxId, id);
  }
}

/**
 * The resources nearest to `query`, best first, at most `k`, among the
 * resources `allowed` admits (all when null). A resource's score is its
 * similarity as domain/ranking.ts `documentSimilarity` defines it (the mean
 * of its best passage cosines); its ordinal is its best passage's.
 * Ties are broken by resource id, so the order is deterministic.
 */
export async function nearestPassages(store: Store, model: string, query: readonly number[], k: number, allowed: ReadonlySet<string> | null): Promise<Nearest[]> {
  const index = await refresh(store, model);
  return index.slab ? scan(index.slab, query, k, allowed) : [];
}

/** The scan itself, over what the slab holds (exported for the tests that compare it with one exact pass). */
export function scan(slab: VectorSlab, query: readonly number[], k: number, allowed: ReadonlySet<string> | null): Nearest[] {
  const q = Float32Array.from(query);
  let qn = 0;
  for (let i = 0; i < q.length; i++) qn += q[i]! * q[i]!;
  qn = Math.sqrt(qn);
  // Vectors of another length are not comparable (another model): none is scored.
  if (qn === 0 || k <= 0 || q.length !== slab.dimensions) return [];
  const admitted = allowed ? admittedResources(slab, allowed) : null;
  const dots = slab.approximateDots(q);
  const cuts = candidateCuts(slab, dots, qn, k, admitted);
  return exactRanking(slab, q, qn, dots, cuts).slice(0, k);
}

function admittedResources(slab: VectorSlab, allowed: ReadonlySet<string>): Uint8Array {
  const admitted = new Uint8Array(slab.resources.length);
  for (const id of allowed) {
    const index = slab.resourceIndex(id);
    if (index !== undefined) admitted[index] = 1;
  }
  return admitted;
}

/**
 * Pass one: each resource's similarity from the approximate dot products,
 * and which rows can decide an exact result. A cosine is off by at most the
 * bound (`margin` is twice that), and so is a mean of the best few (each of
 * the best few moves by at most as much). So a resource more than `margin`
 * below the k-th approximate similarity has k resources surely above it:
 * out. And within a resource kept, a passage more than `margin` below its
 * approximate P-th best cosine has P passages surely above it: it can be
 * neither among the best P nor the best one, and is not rescored.
 *
 * Returns, per resource, the approximate cosine a row must reach to be
 * scored exactly: +∞ for resources out, −∞ for those with fewer than P
 * passages (all of them count).
 */
function candidateCuts(slab: VectorSlab, dots: Float32Array, qn: number, k: number, admitted: Uint8Array | null): Float64Array {
  const n = slab.resources.length;
  const P = PASSAGES_PER_DOCUMENT;
  const margin = 2 * (dotErrorBound(slab.dimensions) + 1e-12);
  const best = new Float64Array(n * P);
  const count = new Uint8Array(n);
  const unbounded = new Uint8Array(n);
  for (let s = 0; s < slab.slots; s++) {
    const r = slab.resource[s]!;
    if (r < 0 || (admitted && admitted[r] === 0) || slab.norm[s] === 0) continue;
    const c = dots[s]! / (qn * slab.norm[s]!);
    if (Number.isNaN(c)) {
      unbounded[r] = 1; // no bound holds for it: every row of the resource is left to the exact pass
      continue;
    }
    // Insert into the resource's best P, kept descending.
    const at = r * P;
    let m = count[r]!;
    if (m === P && c <= best[at + P - 1]!) continue;
    if (m < P) count[r] = ++m;
    let i = m - 1;
    while (i > 0 && best[at + i - 1]! < c) {
      best[at + i] = best[at + i - 1]!;
      i--;
    }
    best[at + i] = c;
  }
  const similarity = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  let found = 0;
  for (let r = 0; r < n; r++) {
    const m = count[r]!;
    if (m === 0) continue;
    let sum = 0;
    for (let i = 0; i < m; i++) sum += best[r * P + i]!;
    similarity[r] = sum / m;
    found++;
  }
  const descending = similarity.slice().sort().reverse();
  const kth = descending[Math.min(k, found) - 1] ?? Number.NEGATIVE_INFINITY;
  const cuts = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  for (let r = 0; r < n; r++) {
    if (unbounded[r] === 1) cuts[r] = Number.NEGATIVE_INFINITY;
    else if (count[r]! > 0 && similarity[r]! >= kth - margin) cuts[r] = count[r]! < P ? Number.NEGATIVE_INFINITY : best[r * P + P - 1]! - margin;
  }
  return cuts;
}

/**
 * Pass two: the candidates' similarities as the scan always computed them
 * (float64 dot products, in order), from the rows that can count.
 */
function exactRanking(slab: VectorSlab, q: Float32Array, qn: number, dots: Float32Array, cuts: Float64Array): Nearest[] {
  const floats = slab.floats;
  const dimensions = slab.dimensions;
  // Per resource: its best passage (ordinal, revision, cosine) and its best cosines, updated in place.
  const best = new Map<number, { ordinal: number; contentRevision: number; top: number; scores: number[] }>();
  for (let s = 0; s < slab.slots; s++) {
    const r = slab.resource[s]!;
    if (r < 0) continue;
    const norm = slab.norm[s]!;
    // A NaN approximation is never below the cut: scored.
    if (norm === 0 || dots[s]! / (qn * norm) < cuts[r]!) continue;
    const at = slab.offsetOf(s);
    let dot = 0;
    for (let i = 0; i < dimensions; i++) dot += q[i]! * floats[at + i]!;
    const score = dot / (qn * norm);
    const ordinal = slab.ordinal[s]!;
    const known = best.get(r);
    if (!known) {
      best.set(r, { ordinal, contentRevision: slab.contentRevision[s]!, top: score, scores: [score] });
      continue;
    }
    keepBest(known.scores, score);
    if (score > known.top || (score === known.top && ordinal < known.ordinal)) {
      known.top = score;
      known.ordinal = ordinal;
      known.contentRevision = slab.contentRevision[s]!;
    }
  }
  const ranked: Nearest[] = [];
  for (const [r, b] of best) ranked.push({ id: slab.resources[r]!, score: meanOf(b.scores), ordinal: b.ordinal, contentRevision: b.contentRevision });
  return ranked.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
