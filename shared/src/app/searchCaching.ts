/**
 * How search results are named and labelled in the cache (docs/caching.md,
 * "Search results"): their key, their tags, and the digest of how a result
 * shows each resource. search.ts produces them, searchInvalidation.ts reads them.
 */
import type { FtsTerms } from "../adapters/libsql/ftsTerms";
import { sha256 } from "../util/ids";
import type { SearchHit, SearchMode } from "./search";

/**
 * Tags of cached results. `text` is on every result and `vectors` on every
 * result that reads vectors (coarse: deletions invalidate them); `term:<t>` on
 * keyword and hybrid results whose query has the FTS term t; `vectorCount` on
 * semantic results, whose total is the number of embedded resources.
 */
export const SearchTags = {
  text: "search:text",
  vectors: "search:vectors",
  vectorCount: "search:vectors:count",
  term: (term: string) => `search:term:${term}`,
} as const;
export const ALL_SEARCH_TAGS = [SearchTags.text, SearchTags.vectors];

export async function searchTags(mode: SearchMode, normalizedQuery: string, ftsTerms: FtsTerms): Promise<string[]> {
  // Semantic results match by vector alone: query terms do not decide what they list.
  if (mode === "semantic") return [SearchTags.text, SearchTags.vectors, SearchTags.vectorCount];
  const terms = (await ftsTerms.ofQuery(normalizedQuery)).map(SearchTags.term);
  return mode === "keyword" ? [SearchTags.text, ...terms] : [SearchTags.text, SearchTags.vectors, ...terms];
}

export interface SearchKeyParts {
  mode: SearchMode;
  limit: number;
  offset: number;
  /** The normalised query (`normalizeQuery`): word tokens joined by spaces, so never a "|". */
  q: string;
}

export function searchKey({ mode, limit, offset, q }: SearchKeyParts): string {
  return `${mode}|${limit}|${offset}|${q}`;
}

export function parseSearchKey(key: string): SearchKeyParts | null {
  const match = /^(keyword|semantic|hybrid)\|(\d+)\|(\d+)\|(.*)$/s.exec(key);
  if (!match) return null;
  return { mode: match[1] as SearchMode, limit: Number(match[2]), offset: Number(match[3]), q: match[4]! };
}

/** What a result shows of one hit: title, snippet and (unless the score is a fused rank) the score. */
export function shownDigest(hit: SearchHit, withScore: boolean): string {
  return sha256(JSON.stringify([hit.title, hit.snippet, withScore ? hit.score : null])).slice(0, 16);
}
