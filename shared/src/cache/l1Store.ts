/**
 * L1: a bounded in-process LRU (entries and bytes) with per-entry TTL.
 *
 * Values are kept as JSON text and parsed on every hit, so a caller mutating
 * what it got back can never corrupt the cached copy, and the byte bound is
 * measured on what is actually held.
 */
import { LRUCache } from "lru-cache";
import type { CacheType } from "../ports/cache";
import type { EntryMeta } from "./freshness";

export interface L1Entry extends EntryMeta {
  type: CacheType;
  json: string;
}

export interface L1Limits {
  maxEntries: number;
  maxBytes: number;
}

/** Rough per-entry overhead (object, tags, stamps) added to the JSON's UTF-16 size. */
const ENTRY_OVERHEAD_BYTES = 256;

export class L1Store {
  private readonly lru: LRUCache<string, L1Entry>;

  constructor(limits: L1Limits) {
    this.lru = new LRUCache<string, L1Entry>({
      max: limits.maxEntries,
      maxSize: limits.maxBytes,
      sizeCalculation: (entry) => entry.json.length * 2 + ENTRY_OVERHEAD_BYTES,
      // TTLs are per entry; expired entries are dropped when touched or by purgeStale().
      ttlAutopurge: false,
    });
  }

  get(id: string): L1Entry | undefined {
    return this.lru.get(id);
  }

  set(id: string, entry: L1Entry, ttlMs: number): void {
    if (ttlMs <= 0) {
      this.lru.delete(id);
      return;
    }
    // An entry larger than the whole L1 would be refused anyway; keep the old one out too.
    if (entry.json.length * 2 + ENTRY_OVERHEAD_BYTES > this.lru.maxSize) {
      this.lru.delete(id);
      return;
    }
    this.lru.set(id, entry, { ttl: Math.max(1, Math.floor(ttlMs)) });
  }

  delete(id: string): void {
    this.lru.delete(id);
  }

  /** Removes every entry for which `matches` is true; returns how many. */
  deleteWhere(matches: (id: string, entry: L1Entry) => boolean): number {
    const doomed: string[] = [];
    for (const [id, entry] of this.lru.entries()) {
      if (matches(id, entry)) doomed.push(id);
    }
    doomed.forEach((id) => this.lru.delete(id));
    return doomed.length;
  }

  purgeStale(): number {
    const before = this.lru.size;
    this.lru.purgeStale();
    return before - this.lru.size;
  }

  clear(): void {
    this.lru.clear();
  }

  get size(): number {
    return this.lru.size;
  }
}
