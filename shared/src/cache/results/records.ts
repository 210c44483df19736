/**
 * Registry records as strings (one per cache key) and the rule that decides
 * whether a change affects one. Shared by the Redis and in-memory registries.
 *
 *   p|<token>|<at ms>                 reserved, not recorded yet: every change affects it
 *   r|<token>|<at ms>|<json>          recorded: {s: shown as [id, "k"|"v", digest]} and, for vector results,
 *                                     v (query, float32 base64), c ([id, similarity] best first), w (wanted),
 *                                     f (hybrid: [[keyword id, score] best first, offset, limit, keyword total])
 */
import { documentSimilarity, fuseScores, roundScore, type Scored } from "../../domain/ranking";
import type { ResourceChange, ResultDependency, ShownResource } from "../../ports/resultRegistry";

/**
 * Similarities are computed in float32 (as the store does) and compared with a
 * margin, so rounding can only make the check more conservative.
 */
const SIMILARITY_MARGIN = 1e-4;

/** Records beyond this many stay reservations: such results are cached but invalidated by every change. */
export const MAX_RECORDS = 5_000;

interface VectorPart {
  query: Float32Array;
  candidates: Array<{ id: string; score: number }>;
  wanted: number;
  fusedWith?: { keyword: Scored[]; offset: number; limit: number; keywordTotal: number };
}

export interface RegistryRecord {
  token: string;
  atMs: number;
  /** Absent while reserved. */
  dependency?: { shown: ShownResource[]; vector?: VectorPart };
}

export function pendingRecord(token: string, atMs: number): string {
  return `p|${token}|${atMs}`;
}

export function recordedRecord(token: string, atMs: number, dependency: ResultDependency): string {
  const body: Record<string, unknown> = { s: dependency.shown.map((s) => [s.id, s.via === "keyword" ? "k" : "v", s.digest]) };
  const v = dependency.vector;
  if (v) {
    body.v = Buffer.from(new Float32Array(v.query).buffer).toString("base64");
    body.c = v.candidates.map((c) => [c.id, c.score]);
    body.w = v.wanted;
    if (v.fusedWith) body.f = [v.fusedWith.keyword.map((k) => [k.id, k.score]), v.fusedWith.offset, v.fusedWith.limit, v.fusedWith.keywordTotal];
  }
  return `r|${token}|${atMs}|${JSON.stringify(body)}`;
}

/** Prefix that identifies a reservation by its token (what `record` compares against). */
export function pendingPrefix(token: string): string {
  return `p|${token}|`;
}

/** null for anything unreadable: callers treat that as affected. */
export function parseRecord(raw: string): RegistryRecord | null {
  const match = /^([pr])\|([^|]+)\|(\d+)(?:\|([\s\S]*))?$/.exec(raw);
  if (!match) return null;
  const [, kind, token, at, json] = match;
  const record: RegistryRecord = { token: token!, atMs: Number(at) };
  if (kind === "p") return json === undefined ? record : null;
  try {
    const body = JSON.parse(json ?? "") as { s?: unknown; v?: unknown; c?: unknown; w?: unknown; f?: unknown };
    if (!Array.isArray(body.s)) return null;
    const shown = body.s.map((entry: unknown): ShownResource => {
      if (!Array.isArray(entry) || entry.length !== 3 || (entry[1] !== "k" && entry[1] !== "v")) throw new Error("bad shown entry");
      return { id: String(entry[0]), via: entry[1] === "k" ? "keyword" : "vector", digest: String(entry[2]) };
    });
    record.dependency = { shown };
    if (body.v === undefined) return record;
    if (typeof body.v !== "string" || !Array.isArray(body.c) || typeof body.w !== "number") return null;
    const candidates = body.c.map((pair: unknown) => {
      if (!Array.isArray(pair) || typeof pair[1] !== "number") throw new Error("bad candidate");
      return { id: String(pair[0]), score: pair[1] };
    });
    const bytes = Buffer.from(body.v, "base64");
    const query = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength - (bytes.byteLength % 4)));
    record.dependency.vector = { query, candidates, wanted: body.w };
    if (body.f !== undefined) record.dependency.vector.fusedWith = parseFusion(body.f);
    return record;
  } catch {
    return null;
  }
}

function parseFusion(raw: unknown): VectorPart["fusedWith"] {
  if (!Array.isArray(raw) || !Array.isArray(raw[0]) || typeof raw[1] !== "number" || typeof raw[2] !== "number" || typeof raw[3] !== "number") {
    throw new Error("bad fusion");
  }
  const keyword = raw[0].map((pair: unknown) => {
    if (!Array.isArray(pair) || typeof pair[1] !== "number") throw new Error("bad keyword entry");
    return { id: String(pair[0]), score: pair[1] };
  });
  return { keyword, offset: raw[1], limit: raw[2], keywordTotal: raw[3] };
}

/**
 * May the change alter the result this record describes? `true`, `false`, or
 * the shown resource whose display decides it (a text change to a resource
 * the result shows: it alters the result unless shown the same way).
 */
export function affects(record: RegistryRecord | null, change: ResourceChange): boolean | ShownResource {
  const dep = record?.dependency;
  if (!dep) return true; // reserved or unreadable
  if (!change.vectors) return dep.shown.find((s) => s.id === change.resourceId) ?? false;
  if (!dep.vector) return false; // a keyword result reads no vectors
  // A hit shown by meaning shows the passage its vectors point at.
  if (dep.shown.some((s) => s.id === change.resourceId && s.via === "vector")) return true;
  // The same rule as the search: a document's similarity is the mean of its best passages' (domain/ranking.ts).
  const now = documentSimilarity(dep.vector.query, change.vectors);
  return Number.isNaN(now) || vectorChangeAffects(dep.vector, change.resourceId, now);
}

/**
 * A resource's similarity to the query became `now`. A semantic result shows
 * similarities, so it changes if the resource is listed or enters. A hybrid
 * result shows only fused ranks: the new candidate list is fused with the
 * recorded keyword ranking and the page compared, exactly as the search would
 * compute it. Unknowable cases count as changes: a similarity within the
 * margin of another (their order is uncertain), or a listed resource falling
 * to the end of a full list (an unlisted one might now pass it).
 */
function vectorChangeAffects(v: VectorPart, id: string, now: number): boolean {
  const at = v.candidates.findIndex((c) => c.id === id);
  const full = v.candidates.length >= v.wanted;
  const last = v.candidates[v.candidates.length - 1]?.score ?? Number.NEGATIVE_INFINITY;
  if (at < 0 && full && now < last - SIMILARITY_MARGIN) return false; // stays out
  if (!v.fusedWith) return true; // listed (similarity shown) or entering
  if (at >= 0 && full && now <= last + SIMILARITY_MARGIN) return true;
  // Entering the candidates adds it to the total unless it matches by keyword too, which a truncated keyword list cannot tell.
  const { keyword, keywordTotal } = v.fusedWith;
  if (at < 0 && keyword.length < keywordTotal && !keyword.some((k) => k.id === id)) return true;
  const others = v.candidates.filter((c) => c.id !== id);
  if (others.some((c) => Math.abs(c.score - now) <= SIMILARITY_MARGIN)) return true;
  const moved = [...others, { id, score: now }].sort((a, b) => b.score - a.score).slice(0, v.wanted);
  return !samePage(v.fusedWith, v.candidates, moved);
}

function samePage(fusion: NonNullable<VectorPart["fusedWith"]>, before: VectorPart["candidates"], after: VectorPart["candidates"]): boolean {
  const page = (candidates: VectorPart["candidates"]) => {
    const fused = fuseScores(fusion.keyword, candidates);
    const shown = fused.slice(fusion.offset, fusion.offset + fusion.limit).map((e) => `${e.id}:${roundScore(e.score)}`);
    // The total counts every keyword match: the recorded ones, the unrecorded rest, and the candidates found by meaning only.
    const byMeaningOnly = candidates.filter((c) => !fusion.keyword.some((k) => k.id === c.id)).length;
    return `${fusion.keywordTotal + byMeaningOnly}|${shown.join(",")}`;
  };
  return page(before) === page(after);
}

/** Unreadable records count as expired, so they are dropped. */
export function isExpired(record: RegistryRecord | null, nowMs: number, lifetimeMs: number): boolean {
  return record === null || record.atMs + lifetimeMs < nowMs;
}

