/**
 * Search in one store (docs/architecture.md, "Search in one store", docs/search.md): keyword = FTS5 BM25
 * over the query's content words (searchKeyword.ts), semantic = passage
 * vectors of the serving embedder (searchSemantic.ts), hybrid = both fused
 * by normalised scores (domain/ranking.ts). Hits show their best passage
 * (searchSnippets.ts); filters and facets come from searchFilters.ts.
 *
 * Results are cached so that a change invalidates only the results it can
 * alter (docs/caching.md, "Search results"): results carry tags (query terms,
 * the metadata they filter or count by), and are recorded in
 * `ctx.searchResults` with the resources they show and, for vector results,
 * the candidates a newcomer would have to beat.
 */
import { normalizeQuery, queryText } from "../domain/ftsQuery";
import { fuseScores, KEYWORD_WEIGHT } from "../domain/ranking";
import type { LoadControl } from "../ports/cache";
import type { Embedder } from "../ports/embedder";
import type { ResultDependency, ShownResource } from "../ports/resultRegistry";
import { sha256 } from "../util/ids";
import type { AppContext } from "./context";
import { servingEmbedder } from "./embedderSwitch";
import { searchKey, searchTags, shownDigest, type SearchKeyParts } from "./searchCaching";
import { facetCounts } from "./searchFilters";
import { keywordMatches, keywordMatchIds, keywordRanking, keywordScoreOf } from "./searchKeyword";
import { embeddedCount, semanticCandidateOf, semanticRanking, type SemanticCandidate } from "./searchSemantic";
import { readAhead, showHits, type ReadAhead, type ToShow } from "./searchSnippets";
import type { SearchFilters, SearchHit, SearchInput, SearchResult } from "./searchTypes";

export type { SearchFilters, SearchHit, SearchInput, SearchMode, SearchResult } from "./searchTypes";

/** Candidates the semantic side contributes to hybrid fusion (and to its facets). */
export const CANDIDATES = 100;

export async function search(ctx: AppContext, input: SearchInput, options: { count?: boolean } = {}): Promise<SearchResult> {
  const normalized = normalizeQuery(input.q);
  if (!normalized) return { results: [], total: 0 };
  if (options.count !== false) ctx.popularity?.queryRun(normalized, input.mode);
  const parts: SearchKeyParts = { mode: input.mode, limit: input.limit, offset: input.offset, filters: input.filters ?? {}, facets: input.facets ?? false, q: normalized };
  const key = searchKey(parts);
  const t0 = performance.now();
  const tags = await searchTags(parts, ctx.store.terms);
  const result = await ctx.cache.getOrLoad("search", key, (control) => loadSearch(ctx, key, parts, control), { tags });
  void ctx.emitter.emit("search.performed", { mode: input.mode, resultCount: result.results.length, tookMs: performance.now() - t0 });
  return result;
}

/**
 * Runs a search for the cache: reserved in the registry before it reads and
 * recorded after. Without a reservation the result is not cached, since no
 * writer could find it.
 */
async function loadSearch(ctx: AppContext, key: string, parts: SearchKeyParts, control: LoadControl): Promise<SearchResult> {
  return loadRecorded(ctx, key, control, async () => {
    const { result, dependency } = await searchWithDependency(ctx, parts);
    return { value: result, dependency };
  });
}

async function loadRecorded<T>(ctx: AppContext, key: string, control: LoadControl, load: () => Promise<{ value: T; dependency: ResultDependency }>): Promise<T> {
  const registry = ctx.searchResults;
  let token: string | null = null;
  if (registry) {
    token = await registry.reserve(key).catch(() => null);
    if (token === null) control.doNotStore();
  }
  const { value, dependency } = await load();
  // A failed record leaves the reservation, which every change counts as affected: still safe to cache.
  if (registry && token !== null) await registry.record(key, token, dependency).catch(() => undefined);
  return value;
}

/** A result cached as search results are: tagged, and recorded in the registry with the resources it shows. */
export function cachedSearchResult<T>(ctx: AppContext, key: string, tags: string[], load: () => Promise<{ value: T; shown: ShownResource[] }>): Promise<T> {
  return ctx.cache.getOrLoad("search", key, (control) =>
    loadRecorded(ctx, key, control, async () => {
      const { value, shown } = await load();
      return { value, dependency: { shown } };
    }),
  { tags });
}

interface WithDependency {
  result: SearchResult;
  dependency: ResultDependency;
}

/** A search computed now, without the cache (tests compare cached answers with it). */
export async function searchUncached(ctx: AppContext, input: SearchInput): Promise<SearchResult> {
  const q = normalizeQuery(input.q);
  if (!q) return { results: [], total: 0 };
  const parts = { mode: input.mode, limit: input.limit, offset: input.offset, filters: input.filters ?? {}, facets: input.facets ?? false, q };
  return (await searchWithDependency(ctx, parts)).result;
}

export const keywordSearch = (ctx: AppContext, q: string, limit: number, offset: number, filters?: SearchFilters) =>
  searchUncached(ctx, { q, mode: "keyword", limit, offset, filters });
export const semanticSearch = (ctx: AppContext, q: string, limit: number, offset: number, filters?: SearchFilters) =>
  searchUncached(ctx, { q, mode: "semantic", limit, offset, filters });
export const hybridSearch = (ctx: AppContext, q: string, limit: number, offset: number, filters?: SearchFilters) =>
  searchUncached(ctx, { q, mode: "hybrid", limit, offset, filters });

function searchWithDependency(ctx: AppContext, parts: SearchKeyParts): Promise<WithDependency> {
  if (parts.mode === "keyword") return keywordWithDependency(ctx, parts);
  if (parts.mode === "semantic") return semanticWithDependency(ctx, parts);
  return hybridWithDependency(ctx, parts);
}

async function keywordWithDependency(ctx: AppContext, { q, limit, offset, filters, facets }: SearchKeyParts): Promise<WithDependency> {
  const { ranked, total } = await keywordRanking(ctx, q, filters, limit, offset);
  const results = await showHits(ctx, q, ranked.map((r) => ({ ...r, via: "keyword" as const })));
  const result: SearchResult = { results, total };
  if (facets) result.facets = await facetCounts(ctx, await keywordMatchIds(ctx, q, filters));
  return { result, dependency: { shown: results.map((hit) => shownAs(hit, "keyword", true)) } };
}

/**
 * The query's vector by the serving embedder, and that embedder; null when this process cannot run it.
 * `onStarted` is called once the embedder has the text (the encoder's thread is working on it).
 */
async function queryVector(ctx: AppContext, q: string, onStarted?: () => void): Promise<{ vector: number[]; model: string } | null> {
  const embedder = await servingEmbedder(ctx);
  if (!embedder) return null;
  return { vector: await embedQuery(ctx, embedder, queryText(q), onStarted), model: embedder.id };
}

export async function embedQuery(ctx: AppContext, embedder: Embedder, text: string, onStarted?: () => void): Promise<number[]> {
  // Query vectors are cached like content vectors: by hash of the text and the embedder.
  return ctx.cache.getOrLoad("embedding", `q:${embedder.id}:${sha256(text)}`, async () => {
    const embedding = embedder.embed([text]);
    onStarted?.();
    const [vector] = await embedding;
    return Array.from(vector ?? []);
  });
}

/**
 * The hybrid's two independent reads: the keyword ranking (to `depth`) and
 * the query's vector. The embedding is handed to the embedder first and the
 * keyword SQL runs while it works: libSQL's local calls hold this thread, so
 * SQL started first would delay even posting the text to the encoder's
 * thread until it was done (the two ran one after the other). If the vector
 * is still not there then, what showing the keyword hits of ranks `readAheadOf`
 * needs is read meanwhile (most of a hybrid page is keyword hits).
 */
export async function keywordBesideEmbedding(ctx: AppContext, q: string, filters: SearchFilters | undefined, depth: number, readAheadOf?: { offset: number; limit: number }) {
  let started!: () => void;
  const embedderHasIt = new Promise<void>((resolve) => (started = resolve));
  let arrived = false;
  const vector = queryVector(ctx, q, started).finally(() => (arrived = true));
  vector.catch(() => undefined); // awaited below; this only keeps a keyword failure first from leaving it unhandled
  await Promise.race([embedderHasIt, vector]);
  const keyword = await keywordRanking(ctx, q, filters, depth);
  let ahead: ReadAhead | undefined;
  if (readAheadOf) {
    await new Promise((resolve) => setImmediate(resolve)); // lets an answer already posted by the encoder's thread arrive
    if (!arrived) ahead = await readAhead(ctx, q, keyword.ranked.slice(readAheadOf.offset, readAheadOf.offset + readAheadOf.limit).map((k) => k.id));
  }
  return { keyword, query: await vector, ahead };
}

async function semanticWithDependency(ctx: AppContext, { q, limit, offset, filters, facets }: SearchKeyParts): Promise<WithDependency> {
  const query = await queryVector(ctx, q);
  const k = offset + limit;
  const candidates = query ? await semanticRanking(ctx, query.vector, query.model, filters, k) : [];
  const page = candidates.slice(offset, offset + limit);
  const results = await showHits(ctx, q, page.map(byMeaning));
  const total = candidates.length < k ? candidates.length : await embeddedCount(ctx, query!.model, filters);
  const result: SearchResult = { results, total };
  if (facets && query) {
    // Facets count the nearest CANDIDATES (everything is "similar" to some degree: counting all would describe the library, not the answer).
    const nearest = k >= CANDIDATES ? candidates.slice(0, CANDIDATES) : await semanticRanking(ctx, query.vector, query.model, filters, CANDIDATES);
    result.facets = await facetCounts(ctx, nearest.map((c) => c.id));
  } else if (facets) {
    result.facets = await facetCounts(ctx, []);
  }
  return {
    result,
    dependency: {
      shown: results.map((hit) => shownAs(hit, "vector", true)),
      vector: query ? { query: query.vector, candidates: candidates.map((c) => ({ id: c.id, score: c.score })), wanted: k } : undefined,
    },
  };
}

async function hybridWithDependency(ctx: AppContext, { q, limit, offset, filters, facets }: SearchKeyParts): Promise<WithDependency> {
  const depth = Math.max(CANDIDATES, offset + limit);
  const { keyword, query, ahead } = await keywordBesideEmbedding(ctx, q, filters, depth, { offset, limit });
  const semantic = query ? await semanticRanking(ctx, query.vector, query.model, filters, CANDIDATES) : [];
  const fused = fuseScores(keyword.ranked, semantic, KEYWORD_WEIGHT);
  const byKeyword = new Set(keyword.ranked.map((k) => k.id));
  const bySemantic = new Map(semantic.map((c) => [c.id, c]));
  // The total counts every keyword match and the candidates found by meaning alone.
  const unranked = semantic.filter((c) => !byKeyword.has(c.id)).map((c) => c.id);
  const alsoKeyword = keyword.ranked.length >= keyword.total ? new Set<string>() : keyword.everyMatch ? new Set(keyword.everyMatch) : await keywordMatches(ctx, q, unranked);
  const total = keyword.total + unranked.filter((id) => !alsoKeyword.has(id)).length;
  const page = fused.slice(offset, offset + limit).map((f): ToShow => (byKeyword.has(f.id) ? { ...f, via: "keyword" } : byMeaning({ ...bySemantic.get(f.id)!, score: f.score })));
  const results = await showHits(ctx, q, page, ahead);
  const result: SearchResult = { results, total };
  if (facets) result.facets = await facetCounts(ctx, [...new Set([...(await keywordMatchIds(ctx, q, filters)), ...semantic.map((c) => c.id)])]);
  return {
    result,
    // Fusion reads the recorded keyword ranking and the candidates' similarities: a new vector's effect
    // on the page can be computed exactly (term tags cover the keyword side's changes).
    dependency: {
      shown: results.map((hit, i) => shownAs(hit, page[i]!.via, false)),
      vector: query
        ? {
            query: query.vector,
            candidates: semantic.map((c) => ({ id: c.id, score: c.score })),
            wanted: CANDIDATES,
            fusedWith: { keyword: keyword.ranked, offset, limit, keywordTotal: keyword.total },
          }
        : undefined,
    },
  };
}

function byMeaning(c: SemanticCandidate): ToShow {
  return { id: c.id, score: c.score, via: "vector", passage: { ordinal: c.ordinal, contentRevision: c.contentRevision } };
}

function shownAs(hit: SearchHit, via: ShownResource["via"], withScore: boolean): ShownResource {
  return { id: hit.id, via, digest: shownDigest(hit, withScore) };
}

/**
 * The digest of how the result cached under `key` would show resource
 * `shown.id` if it were computed now, assuming the ranks did not change (the
 * caller's other checks cover those); null when the resource would not be
 * shown that way at all. Uses the same queries and rules as the search.
 */
export async function shownDigestNow(ctx: AppContext, key: SearchKeyParts, shown: ShownResource): Promise<string | null> {
  const { mode, q } = key;
  let item: ToShow | null = null;
  if (shown.via === "keyword") {
    const score = await keywordScoreOf(ctx, q, shown.id);
    if (score !== null) item = { id: shown.id, score, via: "keyword" };
  } else {
    const query = await queryVector(ctx, q);
    const candidate = query ? await semanticCandidateOf(ctx, query.vector, query.model, shown.id) : null;
    if (candidate) item = byMeaning(candidate);
  }
  if (!item) return null;
  const [hit] = await showHits(ctx, q, [item]);
  return shownDigest(hit!, mode !== "hybrid");
}
