/**
 * The freshness rule, as pure functions.
 *
 * Before a value is loaded, the cache reads a snapshot: the current stamps of
 * everything the value depends on (epoch, type, key, each tag) and the type's
 * pattern sequence number. The value is stored with that snapshot. Every
 * invalidation writes a NEW random stamp (or appends to the pattern log), so a
 * stored value is fresh exactly when every stamp still equals the current one
 * and no pattern logged after its sequence number matches it. Stamps are never
 * reused, so "equal" can only mean "nothing changed since the snapshot".
 */
import { randomBytes } from "node:crypto";

export type Stamp = string | null;

export interface Snapshot {
  /** Current stamps, aligned with `CacheKeys.stampKeys(...)`; null = never bumped. */
  stamps: Stamp[];
  /** Current pattern sequence number of the type (0 when none yet). */
  sequence: number;
  /** Local order of the read that produced this snapshot (see single-flight). */
  tick: number;
  /** `performance.now()` just before the read was sent: an entry's lifetime counts from here. */
  sentAtMs: number;
}

/** What is stored with a value in L1 and L2. */
export interface EntryMeta {
  tags: string[];
  /** null: written while Redis was unreachable (or in L1-only mode), so never checkable. */
  stamps: Stamp[] | null;
  sequence: number;
}

export type Verdict = "fresh" | "stale" | "check-pattern-log";

export function judge(entry: Pick<EntryMeta, "stamps" | "sequence">, current: Snapshot): Verdict {
  const stored = entry.stamps;
  // An epoch is always drawn before anything is stored; a missing one means the
  // bookkeeping was lost, so nothing can be proven fresh.
  if (stored === null || current.stamps[0] == null) return "stale";
  if (stored.length !== current.stamps.length) return "stale";
  for (let i = 0; i < stored.length; i++) {
    if (stored[i] !== current.stamps[i]) return "stale";
  }
  if (current.sequence === entry.sequence) return "fresh";
  return current.sequence > entry.sequence ? "check-pattern-log" : "stale";
}

/** A stamp no invalidation will ever draw again (96 random bits). */
export function newStamp(): string {
  return randomBytes(12).toString("base64url");
}

/** Tags as a set: unique and sorted, so equal sets have equal stamp layouts. */
export function normalizeTags(tags: readonly string[] | undefined): string[] {
  if (!tags || tags.length === 0) return [];
  return [...new Set(tags)].sort();
}

export function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag === b[i]);
}

/** L2 payload: one JSON header line (tags, stamps, sequence), then the value's JSON. */
export function encodeStored(meta: EntryMeta, json: string): string {
  return `${JSON.stringify({ t: meta.tags, s: meta.stamps, q: meta.sequence })}\n${json}`;
}

export function decodeStored(raw: string): { meta: EntryMeta; json: string } | null {
  const newline = raw.indexOf("\n");
  if (newline < 0) return null;
  try {
    const header = JSON.parse(raw.slice(0, newline)) as { t?: unknown; s?: unknown; q?: unknown };
    if (!Array.isArray(header.t) || !Array.isArray(header.s) || typeof header.q !== "number") return null;
    const tags = header.t.filter((tag): tag is string => typeof tag === "string");
    const stamps = header.s.map((stamp): Stamp => (typeof stamp === "string" ? stamp : null));
    return { meta: { tags, stamps, sequence: header.q }, json: raw.slice(newline + 1) };
  } catch {
    return null;
  }
}

/** A pattern log member: `<sequence>|<redis time ms>|<pattern>`. */
export function parsePatternLogMember(member: string): { sequence: number; atMs: number; pattern: string } | null {
  const match = /^(\d+)\|(\d+)\|([\s\S]*)$/.exec(member);
  if (!match) return null;
  return { sequence: Number(match[1]), atMs: Number(match[2]), pattern: match[3] as string };
}
