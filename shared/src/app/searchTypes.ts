/** The shapes of a search: what is asked, what comes back. */

export type SearchMode = "keyword" | "semantic" | "hybrid";

/** Restrictions on which resources a search may return; every one given must hold. */
export interface SearchFilters {
  /** A category (predicted or manual) the resource has. */
  category?: string;
  /** An author, in any spelling that normalises to the same person. */
  author?: string;
  /** Content type as extracted ("text/html", "application/pdf", ...). */
  type?: string;
  /** Language code as detected ("en", "de", ...). */
  language?: string;
  /** Added on or after (ISO date or date-time). */
  from?: string;
  /** Added before (ISO date or date-time). */
  to?: string;
  /** Quality score at least this (0–1). */
  minQuality?: number;
  /** A tag people gave the resource (attached by hand or an accepted suggestion), in any letter case. */
  tag?: string;
  /** Show near-duplicates too; by default a group of near-copies shows only its original (docs/duplicates.md). */
  includeDuplicates?: true;
}

export interface SearchInput {
  q: string;
  mode: SearchMode;
  limit: number;
  offset: number;
  filters?: SearchFilters;
  /** Count matches per category, author and content type. */
  facets?: boolean;
}

export interface SearchHit {
  id: string;
  title: string | null;
  score: number;
  /** The best passage, query words in [brackets]. */
  snippet: string;
  /** Where the resource came from: its URL (http(s) or file:), or null for pasted content. */
  url: string | null;
  /** The local file path, for resources read from a file. */
  path: string | null;
  /** The source a person gave (e.g. the name of a file uploaded from the browser, which gives no path), or null. */
  source: string | null;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchFacets {
  category: FacetCount[];
  author: FacetCount[];
  type: FacetCount[];
  tag: FacetCount[];
}

export interface SearchResult {
  results: SearchHit[];
  /** Every match, whatever limit and offset. */
  total: number;
  facets?: SearchFacets;
}
