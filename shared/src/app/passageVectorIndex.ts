/**
 * The passage vectors of one embedder, held in this process's memory for the
 * semantic scan. libSQL's exact scan (`vector_distance_cos` over every row,
 * grouped by resource) took ~190 ms for 15,000 passages on this machine, and
 * its DiskANN index made every insert slow enough to dominate an import; a
 * scan of Float32Arrays takes a few milliseconds and is exact.
 *
 * The store stays the truth: before every scan the index reads the count and
 * the largest id of the embedder's rows (one index read, well under a
 * millisecond). Ids only grow (AUTOINCREMENT), so when both equal what it
 * holds, nothing was added or removed; otherwise it compares the ids (15 ms
 * for 4,000 rows, which is why that is not done on every scan), drops the
 * rows that are gone and loads the new ones. A scan always sees exactly the
 * rows committed when it started.
 * About 2 KB per passage (512 floats): 30 MB for the PostgreSQL manual.
 */
import { sql } from "drizzle-orm";
import type { Store } from "../adapters/libsql/store";
import { keepBest, meanOf } from "../domain/ranking";

interface Row {
  resourceId: string;
  ordinal: number;
  contentRevision: number;
  vector: Float32Array;
  norm: number;
}

interface ModelIndex {
  rows: Map<number, Row>;
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
  if (!index) byModel.set(model, (index = { rows: new Map(), maxId: 0, heldMaxId: 0, refreshing: null }));
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
    for (const id of index.rows.keys()) if (!current.has(id)) index.rows.delete(id);
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
      index.rows.set(id, { resourceId: String(r.resource_id), ordinal: Number(r.ordinal), contentRevision: Number(r.content_revision), vector, norm: Math.sqrt(norm) });
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
  const q = Float32Array.from(query);
  let qn = 0;
  for (let i = 0; i < q.length; i++) qn += q[i]! * q[i]!;
  qn = Math.sqrt(qn);
  // Per resource: its best passage (ordinal, revision, cosine) and its best cosines, updated in place.
  const best = new Map<string, { ordinal: number; contentRevision: number; top: number; scores: number[] }>();
  if (qn === 0) return [];
  for (const row of index.rows.values()) {
    if (allowed && !allowed.has(row.resourceId)) continue;
    const v = row.vector;
    if (v.length !== q.length || row.norm === 0) continue;
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += q[i]! * v[i]!;
    const score = dot / (qn * row.norm);
    const known = best.get(row.resourceId);
    if (!known) {
      best.set(row.resourceId, { ordinal: row.ordinal, contentRevision: row.contentRevision, top: score, scores: [score] });
      continue;
    }
    keepBest(known.scores, score);
    if (score > known.top || (score === known.top && row.ordinal < known.ordinal)) {
      known.top = score;
      known.ordinal = row.ordinal;
      known.contentRevision = row.contentRevision;
    }
  }
  const ranked: Nearest[] = [];
  for (const [id, b] of best) ranked.push({ id, score: meanOf(b.scores), ordinal: b.ordinal, contentRevision: b.contentRevision });
  return ranked.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, k);
}
