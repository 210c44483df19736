/**
 * How search results are named and labelled in the cache (docs/caching.md,
 * "Search results"): their key, their tags, and the digest of how a result
 * shows each resource. search.ts produces them, searchInvalidation.ts reads them.
 */
import type { FtsTerms } from "../adapters/libsql/ftsTerms";
import { hasSyntax, matchWords, parseQuery } from "../domain/ftsQuery";
import { sha256 } from "../util/ids";
import { DERIVED, type DerivedKind, type DerivedName } from "../domain/derived";
import type { SearchFilters, SearchHit, SearchMode } from "./searchTypes";

/**
 * Tags of cached results. `text` is on every result and `vectors` on every
 * result that reads vectors (coarse: deletions invalidate them); `term:<t>` on
 * keyword and hybrid results whose query has the FTS term t; `syntax` on those
 * whose query has a phrase or a prefix (any text change may alter their
 * matches); `vectorCount` on semantic results, whose total counts embedded
 * resources; `meta:<field>` on results that filter or count by that field.
 */
export const SearchTags = {
  text: "search:text",
  vectors: "search:vectors",
  vectorCount: "search:vectors:count",
  syntax: "search:syntax",
  /** On "similar" results: every vector write may bring another resource closer. */
  similar: "search:similar",
  term: (term: string) => `search:term:${term}`,
  meta: (field: MetaField) => `search:meta:${field}`,
} as const;
export const ALL_SEARCH_TAGS = [SearchTags.text, SearchTags.vectors];

/** Resource data that filters and facets read, each invalidated by the task that changes it. */
export type MetaField = "categories" | "authors" | "type" | "language" | "quality" | "tags";

/**
 * What a task that wrote a kind of derived data invalidates: the resource's
 * own answers and the cached search results that filter or count by the
 * datum's facet (the facet is in domain/derived.ts).
 */
export function derivedDataTags(datum: DerivedName, resourceId: string): string[] {
  const kind: DerivedKind = DERIVED[datum];
  return [`resource:${resourceId}`, ...(kind.searchFacet ? [SearchTags.meta(kind.searchFacet)] : [])];
}

export async function searchTags(parts: SearchKeyParts, ftsTerms: FtsTerms): Promise<string[]> {
  const { mode, q } = parts;
  const tags: string[] = [SearchTags.text, ...metaFields(parts).map(SearchTags.meta)];
  if (mode !== "keyword") tags.push(SearchTags.vectors);
  // Semantic results match by vector alone: query terms do not decide what they list.
  if (mode === "semantic") return [...tags, SearchTags.vectorCount];
  tags.push(...(await ftsTerms.ofQuery(matchWords(q).join(" "))).map(SearchTags.term));
  if (hasSyntax(parseQuery(q))) tags.push(SearchTags.syntax);
  return tags;
}

/** The fields a result's answer depends on beyond text and vectors. */
export function metaFields({ filters, facets }: Pick<SearchKeyParts, "filters" | "facets">): MetaField[] {
  const fields = new Set<MetaField>();
  if (filters.category !== undefined || facets) fields.add("categories");
  if (filters.author !== undefined || facets) fields.add("authors");
  if (filters.type !== undefined || facets) fields.add("type");
  if (filters.language !== undefined) fields.add("language");
  if (filters.minQuality !== undefined) fields.add("quality");
  if (filters.tag !== undefined || facets) fields.add("tags");
  return [...fields];
}

export interface SearchKeyParts {
  mode: SearchMode;
  limit: number;
  offset: number;
  filters: SearchFilters;
  facets: boolean;
  /** The normalised query (`normalizeQuery`). */
  q: string;
}

/** `mode|limit|offset|filters (base64url JSON, keys sorted)|facets|q`: the query is last, so it may hold any character. */
export function searchKey({ mode, limit, offset, filters, facets, q }: SearchKeyParts): string {
  const canonical = JSON.stringify(Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b))));
  return `${mode}|${limit}|${offset}|${Buffer.from(canonical).toString("base64url")}|${facets ? 1 : 0}|${q}`;
}

export function parseSearchKey(key: string): SearchKeyParts | null {
  const match = /^(keyword|semantic|hybrid)\|(\d+)\|(\d+)\|([\w-]*)\|([01])\|(.*)$/s.exec(key);
  if (!match) return null;
  try {
    const filters = JSON.parse(Buffer.from(match[4]!, "base64url").toString("utf8")) as SearchFilters;
    return { mode: match[1] as SearchMode, limit: Number(match[2]), offset: Number(match[3]), filters, facets: match[5] === "1", q: match[6]! };
  } catch {
    return null;
  }
}

/** What a result shows of one hit: title, snippet, location and (unless the score is fused) the score. */
export function shownDigest(hit: SearchHit, withScore: boolean): string {
  return sha256(JSON.stringify([hit.title, hit.snippet, hit.url, hit.path, hit.source, withScore ? hit.score : null])).slice(0, 16);
}
