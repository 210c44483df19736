/**
 * Registry records as strings (one per cache key) and the rule that decides
 * whether a change affects one. Shared by the Redis and in-memory registries.
 *
 *   p|<token>|<at ms>                 reserved, not recorded yet: every change affects it
 *   r|<token>|<at ms>|<json>          recorded: {s: shown as [id, "k"|"v", digest]} and, for vector results,
 *                                     v (query, float32 base64), c ([id, similarity] best first), w (wanted),
 *                                     f (hybrid: [keyword ids, offset, limit])
 */
import { fuseRanks, roundScore } from "../../domain/ranking";
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
  fusedWith?: { keyword: string[]; offset: number; limit: number };
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
    if (v.fusedWith) body.f = [v.fusedWith.keyword, v.fusedWith.offset, v.fusedWith.limit];
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
  if (!Array.isArray(raw) || !Array.isArray(raw[0]) || typeof raw[1] !== "number" || typeof raw[2] !== "number") throw new Error("bad fusion");
  return { keyword: raw[0].map(String), offset: raw[1], limit: raw[2] };
}

/**
 * May the change alter the result this record describes? `true`, `false`, or
 * the shown resource whose display decides it (a text change to a resource
 * the result shows: it alters the result unless shown the same way).
 */
export function affects(record: RegistryRecord | null, change: ResourceChange): boolean | ShownResource {
  const dep = record?.dependency;
  if (!dep) return true; // reserved or unreadable
  if (!change.vector) return dep.shown.find((s) => s.id === change.resourceId) ?? false;
  if (!dep.vector) return false; // a keyword result reads no vectors
  const now = cosine(dep.vector.query, change.vector);
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
  const others = v.candidates.filter((c) => c.id !== id);
  if (others.some((c) => Math.abs(c.score - now) <= SIMILARITY_MARGIN)) return true;
  const moved = [...others, { id, score: now }].sort((a, b) => b.score - a.score).slice(0, v.wanted);
  return !samePage(v.fusedWith, v.candidates, moved);
}

function samePage(fusion: NonNullable<VectorPart["fusedWith"]>, before: VectorPart["candidates"], after: VectorPart["candidates"]): boolean {
  const page = (candidates: VectorPart["candidates"]) => {
    const fused = fuseRanks([fusion.keyword, candidates.map((c) => c.id)]);
    const shown = fused.slice(fusion.offset, fusion.offset + fusion.limit).map((e) => `${e.id}:${roundScore(e.score)}`);
    return `${fused.length}|${shown.join(",")}`;
  };
  return page(before) === page(after);
}

/** Unreadable records count as expired, so they are dropped. */
export function isExpired(record: RegistryRecord | null, nowMs: number, lifetimeMs: number): boolean {
  return record === null || record.atMs + lifetimeMs < nowMs;
}

function cosine(a: Float32Array, b: readonly number[]): number {
  if (a.length !== b.length) return Number.NaN; // another model: unknown, so affected
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = Math.fround(b[i]!);
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? Number.NaN : dot / Math.sqrt(na * nb); // no direction: unknown
}
