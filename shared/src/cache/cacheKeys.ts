/**
 * The Redis key scheme of the cache (docs/caching.md, "Key scheme").
 *
 * Values are spread over the cluster (`<ns>v:<type>:<key>`, no hash tag).
 * Everything the freshness check reads or writes together (epoch, generations,
 * sequence numbers, pattern logs, statistics) shares ONE hash tag, so MGET,
 * pipelines and Lua scripts over them are legal in cluster mode.
 */
import type { CacheType } from "../ports/cache";
import { escapeGlob } from "./glob";

export class CacheKeys {
  /** Prefix of every bookkeeping key: `<ns>{<ns>meta}:`. */
  private readonly meta: string;

  constructor(readonly namespace: string) {
    if (/[{}]/.test(namespace)) throw new Error(`cache namespace must not contain braces (it is used in a hash tag): ${namespace}`);
    this.meta = `${namespace}{${namespace}meta}:`;
  }

  /** The name an entry has in L1 and in invalidation patterns. */
  id(type: CacheType, key: string): string {
    return `${type}:${key}`;
  }

  value(type: CacheType, key: string): string {
    return `${this.namespace}v:${type}:${key}`;
  }

  /** A SCAN MATCH pattern over value keys for a pattern over `<type>:<key>`. */
  valueMatch(idPattern: string): string {
    return `${escapeGlob(`${this.namespace}v:`)}${idPattern}`;
  }

  /** Random stamp of the current cache epoch; changing it discards every entry everywhere. */
  get epoch(): string {
    return `${this.meta}epoch`;
  }

  /** Identity of the Redis server the epoch was drawn for. */
  get server(): string {
    return `${this.meta}server`;
  }

  /** Sorted set: generation key -> Redis time (ms) of its last bump, for cleanup. */
  get generationIndex(): string {
    return `${this.meta}gens`;
  }

  /** Hash of shared statistics, fields `<bucket>:<metric>`. */
  get stats(): string {
    return `${this.meta}stats`;
  }

  typeGeneration(type: CacheType): string {
    return `${this.meta}t:${type}`;
  }

  keyGeneration(type: CacheType, key: string): string {
    return `${this.meta}k:${type}:${key}`;
  }

  tagGeneration(tag: string): string {
    return `${this.meta}g:${tag}`;
  }

  /** Counter of narrow pattern invalidations of one type. */
  patternSequence(type: CacheType): string {
    return `${this.meta}seq:${type}`;
  }

  /** Sorted set of narrow pattern invalidations of one type, scored by sequence number. */
  patternLog(type: CacheType): string {
    return `${this.meta}plog:${type}`;
  }

  /**
   * The generation keys an entry depends on, in the order its stamps are stored:
   * epoch, type, key, then its tags.
   */
  stampKeys(type: CacheType, key: string, tags: readonly string[]): string[] {
    return [this.epoch, this.typeGeneration(type), this.keyGeneration(type, key), ...tags.map((tag) => this.tagGeneration(tag))];
  }
}
