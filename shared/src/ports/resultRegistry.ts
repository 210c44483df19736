/**
 * The dependencies of cached search results that tags cannot express, kept
 * beside the cache so that a writer can find the results its change affects
 * (a small percolator): which resources a result lists (their scores, titles
 * and snippets are in it) and, for vector results, how close a newcomer's
 * vector must be to enter them. Both are only known after the search ran.
 *
 * Protocol (docs/caching.md, "Search results"): a loader `reserve`s its cache
 * key BEFORE it reads the store and `record`s what it read after; a writer
 * changes the store first and then invalidates `affectedBy(change)`. A writer
 * that misses the reservation changed the store before the loader read it; a
 * writer that sees it (reserved or recorded) invalidates the key after the
 * cache's snapshot, so the stored value is never served.
 */
/** How a result shows one resource: which ranker found it, and a digest of its title, snippet and shown score. */
export interface ShownResource {
  id: string;
  via: "keyword" | "vector";
  digest: string;
}

export interface ResultDependency {
  /** Resources the result shows: a text change to one affects it unless it would be shown the same. */
  shown: ShownResource[];
  /** For results that read vectors. */
  vector?: {
    query: number[];
    /** The vector candidates the result was built from, best first, with their similarity to the query. */
    candidates: Array<{ id: string; score: number }>;
    /** How many candidates the search asked for; with fewer found, any new vector enters. */
    wanted: number;
    /**
     * Hybrid results: the keyword ranking (ids and scores, best first) the
     * candidates were fused with, and the page shown. Only fused scores are
     * shown then; without it (semantic results) the candidates' similarities
     * are shown too.
     */
    fusedWith?: { keyword: Array<{ id: string; score: number }>; offset: number; limit: number; keywordTotal: number };
  };
}

export interface ResourceChange {
  resourceId: string;
  /**
   * Absent: the resource's indexed text changed (its FTS entry). Present: it
   * was (re-)embedded with these vectors (its title and passages: its
   * similarity to a query is the mean of the best ones', domain/ranking.ts); only results that read vectors care.
   */
  vectors?: ReadonlyArray<readonly number[]>;
}

export interface Affected {
  /** The result's cache key. */
  key: string;
  /**
   * Set when the result is affected only because it shows the changed
   * resource: the caller may keep it if the resource would be shown the same.
   */
  unlessShownAs?: ShownResource;
}

export interface ResultRegistry {
  /** Marks `key` as being loaded; every change counts as affecting it until `record`. Returns a token for `record`. */
  reserve(key: string): Promise<string>;
  /** Replaces this load's reservation with what the result depends on (a newer reservation wins). */
  record(key: string, token: string, dependency: ResultDependency): Promise<void>;
  /** Results the change may alter. Forgets records older than their lifetime. */
  affectedBy(change: ResourceChange): Promise<Affected[]>;
}
