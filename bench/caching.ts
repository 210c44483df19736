/**
 * Benchmark 2 (requirements 13.2, 13.3; issue 4): what the cache saves and
 * whether it is ever stale, through the HTTP API of an in-process stack
 * (queue delays 0) over 100+ real documents.
 *
 * Part A, computation avoided on a repeat workload: the same workload runs
 * with the cache on (two layers, Redis L2) and off (PassThroughCache), and the
 * expensive operations of its repeat pass are counted: search executions and
 * recommendation computations (how often the cache's loader ran) and
 * embeddings computed (a counting wrapper round the stack's embedder).
 *
 * Part B, a Zipf(s = 1.1) read mix (70% searches over a fixed query list, half
 * hybrid and half keyword; 30% resource reads) with one content update (PATCH)
 * per 60 reads. The hit rate is over the mix's own reads (the loader did not
 * run), after a warm-up as long as the measured phase; first reads of a key
 * (unavoidable misses) and the /monitoring/cache figure, which also counts the
 * staleness probes below, are reported beside it. Each update
 * is checked for staleness: the resource read right after the answer must
 * show the new revision, and once /status says the index is current a search
 * for a word only in the new text must find the resource and a search for a
 * word only in the old text (asked, and so cached, just before the update)
 * must not return it.
 */
import { instantTimings } from "@shared/events/routing";
import { countEmbeddings } from "@test/helpers/countingEmbedder";
import type { CacheStats } from "@shared/ports/cache";
import { pickDocs, variant, type Doc } from "./lib/corpus";
import { call, expectStatus, sleep, waitFor, type ResourceStatus } from "./lib/http";
import { runWave } from "./lib/ingest";
import { upToDateIds } from "./lib/ledger";
import { benchCache, type BenchCache, type CountingCache } from "./lib/cacheSetup";
import { benchRedisUrl } from "./lib/redisKeys";
import { mean, ms, pct, percentile, rng, round, zipf } from "./lib/stats";
import { startBenchStack, type BenchStack } from "./lib/stack";
import type { Benchmark, Figure } from "./lib/report";

const STOPWORDS = new Set(
  "about above after again against allow allows always another because before being below between both build called could default does doing during each every example first following found from further have having however install installed instead itself just latest license makes might more most must need needs never none note number often only other otherwise ought ours over package provides rather return returns same should since some still such than that their theirs them then there these they this those through under until used uses using value values version very were what when where which while whom will with within without would your yours"
    .split(" "),
);

/** Search queries from the corpus: words in ≥ 3 documents and ≤ 40% of them, most widespread first, then pairs. */
export function queryList(docs: readonly Doc[], count: number, seed = 11): string[] {
  const df = new Map<string, number>();
  for (const d of docs) {
    const words = new Set(d.text.toLowerCase().match(/\b[a-z]{5,14}\b/g) ?? []);
    for (const w of words) if (!STOPWORDS.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const words = [...df]
    .filter(([, n]) => n >= 3 && n <= docs.length * 0.4)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([w]) => w);
  const singles = words.slice(0, Math.ceil(count * 0.75));
  const pairs = Array.from({ length: count - singles.length }, (_, k) => `${words[k % words.length]!} ${words[(k * 7 + 3) % singles.length]!}`);
  const all = [...singles, ...pairs];
  // Popularity rank is not document frequency: shuffle deterministically.
  const random = rng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all;
}

const searchPath = (q: string, mode: "keyword" | "hybrid") => `/search?q=${encodeURIComponent(q)}&mode=${mode}&limit=10`;

interface SearchAnswer {
  results: Array<{ id: string }>;
}

async function waitUpToDate(stack: BenchStack, ids: readonly string[], timeoutMs = 120_000): Promise<void> {
  await waitFor("resources up to date", async () => (await upToDateIds(stack.app.store.client, ids)).size === ids.length, timeoutMs, 25);
}

interface RepeatCounts {
  searches: number;
  recommendations: number;
  embeddingsRevert: number;
  embeddingsReingest: number;
}

/**
 * One repeat workload: a first pass (not counted) and a repeat pass (counted).
 * `docOffset` selects documents no earlier pass has edited or copied.
 */
async function repeatWorkload(
  stack: BenchStack,
  cache: CountingCache,
  ctx: { ids: string[]; contents: string[]; docs: Doc[]; queries: string[]; users: string[]; quick: boolean },
  docOffset: number,
): Promise<RepeatCounts> {
  const { ids, contents, docs, queries, users, quick } = ctx;
  const repeats = quick ? 3 : 5;
  const k = quick ? 5 : 10;
  const edited = Array.from({ length: k }, (_, i) => docOffset + i);
  const copied = Array.from({ length: k }, (_, i) => docOffset + k + i);

  // First pass. Edits first: their index writes invalidate cached searches, and
  // a repeat is a query asked again with no write in between.
  for (const i of edited) await expectStatus(202, stack.url, "PATCH", `/resources/${ids[i]!}`, { content: variant(docs[i]!, `bmk${i}edit`), contentType: "text/markdown" });
  await waitUpToDate(stack, edited.map((i) => ids[i]!));
  await sleep(300);
  for (const q of queries) await expectStatus(200, stack.url, "GET", searchPath(q, "keyword"));
  for (const u of users) await expectStatus(200, stack.url, "GET", `/users/${u}/recommendations`);

  // Repeat pass.
  const s0 = cache.loadCount("search");
  for (let r = 0; r < repeats; r++) for (const q of queries) await expectStatus(200, stack.url, "GET", searchPath(q, "keyword"));
  const searches = cache.loadCount("search") - s0;

  const r0 = cache.loadCount("recommendations");
  for (let r = 0; r < repeats; r++) for (const u of users) await expectStatus(200, stack.url, "GET", `/users/${u}/recommendations`);
  const recommendations = cache.loadCount("recommendations") - r0;

  // What reaches the embedder from here on (the embedding task's calls; no query is embedded below).
  const embedder = countEmbeddings(stack.app);
  let embeddingsRevert: number;
  let embeddingsReingest: number;
  try {
    // Edits reverted to a text embedded before: the embedding is found by content hash.
    const e0 = embedder.calls;
    for (const i of edited) await expectStatus(202, stack.url, "PATCH", `/resources/${ids[i]!}`, { content: contents[i]!, contentType: "text/markdown" });
    await waitUpToDate(stack, edited.map((i) => ids[i]!));
    embeddingsRevert = embedder.calls - e0;

    // Identical content ingested again.
    const e1 = embedder.calls;
    await runWave(stack, copied.map((i) => contents[i]!), 120_000, 25);
    embeddingsReingest = embedder.calls - e1;
  } finally {
    stack.app.embedder = embedder.inner;
  }

  return { searches, recommendations, embeddingsRevert, embeddingsReingest };
}

interface ReadSample {
  kind: "keyword" | "hybrid" | "resource";
  hit: boolean;
  /** The mix asked for this key before (a miss on a first read is unavoidable). */
  reread: boolean;
  ms: number;
}

export const cachingBench: Benchmark = async ({ quick }) => {
  const stack = await startBenchStack("cache", { routeOverrides: instantTimings() });
  const factoryCache = stack.app.cache;
  const factoryResults = stack.app.searchResults;
  const opened: BenchCache[] = [];
  const use = async (mode: "on" | "off") => {
    const bc = await benchCache(stack.config, mode);
    opened.push(bc);
    stack.app.cache = bc.cache;
    stack.app.searchResults = bc.searchResults;
    return bc;
  };
  const notes: string[] = [];
  try {
    const docs = pickDocs(quick ? 100 : 150);
    const contents = docs.map((d, i) => variant(d, `bmk${i}x0`));
    const queries = queryList(docs, quick ? 200 : 300);
    let on = await use("on");
    if (on.layers !== "l1+l2") notes.push(`Redis L2 not reachable: the cache ran as "${on.layers}".`);

    // Ingest the library (cache on).
    const ingest = await runWave(stack, contents, 900_000, 100);
    const ids = ingest.docs.map((d) => d.id);

    // Users with a few interactions each, for recommendations.
    const users = Array.from({ length: quick ? 5 : 10 }, (_, u) => `bench-user-${u}`);
    for (const [u, user] of users.entries()) {
      for (let j = 0; j < 5; j++) {
        await expectStatus(201, stack.url, "POST", "/interactions", { userId: user, resourceId: ids[(u * 7 + j * 13) % ids.length]!, type: j % 2 ? "like" : "read" });
      }
    }

    // Part A: repeat workload, cache on, then off (fresh documents for the edits).
    const repeatQueries = queries.slice(0, quick ? 30 : 60);
    const ctx = { ids, contents, docs, queries: repeatQueries, users, quick };
    const k = quick ? 5 : 10;
    const withCache = await repeatWorkload(stack, on.cache, ctx, 0);
    const firstOnStats = await on.cache.stats();
    const off = await use("off");
    const withoutCache = await repeatWorkload(stack, off.cache, ctx, 2 * k);
    const sumOn = withCache.searches + withCache.recommendations + withCache.embeddingsRevert;
    const sumOff = withoutCache.searches + withoutCache.recommendations + withoutCache.embeddingsRevert;
    const reduction = sumOff > 0 ? 1 - sumOn / sumOff : Number.NaN;
    const red = (a: number, b: number) => (b > 0 ? pct(1 - a / b, 0) : "n/a");

    // Part B: Zipf mix with a fresh cache.
    on = await use("on");
    const random = rng(20251129);
    const pickQuery = zipf(queries.length, 1.1, random);
    const pickDoc = zipf(ids.length, 1.1, random);
    const version = ids.map(() => 0);
    const warmReads = quick ? 2400 : 6000;
    const measuredReads = quick ? 2400 : 6000;
    const samples: ReadSample[] = [];
    const asked = new Set<string>();
    const firstAsk = (key: string) => !asked.has(key) && !!asked.add(key);
    const stale = { resourceOld: 0, searchNewMissing: 0, searchOldServed: 0, precheckMissing: 0 };
    const updateToIndexMs: number[] = [];
    let updates = 0;
    let statsBefore: CacheStats | undefined;
    const cache = on.cache;

    const update = async () => {
      const i = Math.floor(random() * ids.length);
      const id = ids[i]!;
      const oldMarker = `bmk${i}x${version[i]!}`;
      const newMarker = `bmk${i}x${version[i]! + 1}`;
      // Ask both first, so the cache holds the old answers.
      const pre = await expectStatus<SearchAnswer>(200, stack.url, "GET", searchPath(oldMarker, "keyword"));
      if (!pre.body.results.some((r) => r.id === id)) stale.precheckMissing++;
      await expectStatus(200, stack.url, "GET", searchPath(newMarker, "keyword"));
      await expectStatus(200, stack.url, "GET", `/resources/${id}`);
      const patched = await expectStatus<{ revision: number; contentRevision: number }>(202, stack.url, "PATCH", `/resources/${id}`, {
        content: variant(docs[i]!, newMarker),
        contentType: "text/markdown",
      });
      const answeredAt = performance.now();
      version[i] = version[i]! + 1;
      updates++;
      const view = await expectStatus<{ contentRevision: number }>(200, stack.url, "GET", `/resources/${id}`);
      if (view.body.contentRevision !== patched.body.contentRevision) stale.resourceOld++;
      await waitFor(
        "index current",
        async () => {
          const s = await call<ResourceStatus>(stack.url, "GET", `/resources/${id}/status`);
          return s.status === 200 && s.body.revision >= patched.body.revision && s.body.derived.searchIndex.current;
        },
        30_000,
        10,
      );
      updateToIndexMs.push(performance.now() - answeredAt);
      const fresh = await expectStatus<SearchAnswer>(200, stack.url, "GET", searchPath(newMarker, "keyword"));
      if (!fresh.body.results.some((r) => r.id === id)) stale.searchNewMissing++;
      const old = await expectStatus<SearchAnswer>(200, stack.url, "GET", searchPath(oldMarker, "keyword"));
      if (old.body.results.some((r) => r.id === id)) stale.searchOldServed++;
    };

    const t0 = performance.now();
    for (let r = 0; r < warmReads + measuredReads; r++) {
      if (r === warmReads) statsBefore = (await expectStatus<CacheStats>(200, stack.url, "GET", "/monitoring/cache")).body;
      if (r > 0 && r % 60 === 0) await update();
      const measured = r >= warmReads;
      if (random() < 0.7) {
        const rank = pickQuery();
        const q = queries[rank]!;
        const before = cache.loadCount("search");
        const path = searchPath(q, rank % 2 === 0 ? "hybrid" : "keyword");
        const reread = !firstAsk(path);
        const res = await expectStatus(200, stack.url, "GET", path);
        if (measured) samples.push({ kind: rank % 2 === 0 ? "hybrid" : "keyword", hit: cache.loadCount("search") === before, reread, ms: res.ms });
      } else {
        const id = ids[pickDoc()]!; // rank r → document r (corpus order)
        const before = cache.loadCount("resource");
        const reread = !firstAsk(id);
        const res = await expectStatus(200, stack.url, "GET", `/resources/${id}`);
        if (measured) samples.push({ kind: "resource", hit: cache.loadCount("resource") === before, reread, ms: res.ms });
      }
    }
    const zipfMs = performance.now() - t0;
    const statsAfter = (await expectStatus<CacheStats>(200, stack.url, "GET", "/monitoring/cache")).body;
    const delta = (type?: string) => {
      const a = type ? statsAfter.byType[type] : statsAfter;
      const b = type ? statsBefore?.byType[type] : statsBefore;
      const hits = (a?.hits ?? 0) - (b?.hits ?? 0);
      const misses = (a?.misses ?? 0) - (b?.misses ?? 0);
      return { hits, misses, hitRate: hits + misses > 0 ? hits / (hits + misses) : Number.NaN };
    };
    const monitoring = { all: delta(), search: delta("search"), resource: delta("resource"), embedding: delta("embedding") };
    const hitLat = samples.filter((s) => s.hit).map((s) => s.ms);
    const missLat = samples.filter((s) => !s.hit).map((s) => s.ms);
    const clientHitRate = samples.filter((s) => s.hit).length / samples.length;
    const rereads = samples.filter((s) => s.reread);
    const rereadHitRate = rereads.filter((s) => s.hit).length / rereads.length;
    const firstReads = samples.filter((s) => !s.reread && !s.hit).length;
    const rereadMisses = rereads.filter((s) => !s.hit).length;
    const rereadRate = (kind: ReadSample["kind"]) => {
      const of = rereads.filter((s) => s.kind === kind);
      return of.filter((s) => s.hit).length / of.length;
    };
    const staleTotal = stale.resourceOld + stale.searchNewMissing + stale.searchOldServed;
    const sr = monitoring.search;
    const rr = monitoring.resource;
    const monitoringRate = (sr.hits + rr.hits) / (sr.hits + rr.hits + sr.misses + rr.misses);
    const searchRate = (() => {
      const s = samples.filter((x) => x.kind !== "resource");
      return s.filter((x) => x.hit).length / s.length;
    })();
    const resourceRate = (() => {
      const s = samples.filter((x) => x.kind === "resource");
      return s.filter((x) => x.hit).length / s.length;
    })();

    const figures: Figure[] = [
      {
        ref: "13.2",
        what: "repeat workload: computation avoided (on vs off)",
        requirement: "50–70%",
        aim: "≥ 90%",
        measured: `${pct(reduction)} (${sumOn} vs ${sumOff} ops)`,
        value: round(reduction),
        unit: "ratio",
        meetsAim: reduction >= 0.9,
      },
      {
        ref: "13.2",
        what: "· repeated searches executed, on / off",
        requirement: "—",
        aim: "—",
        measured: `${withCache.searches} / ${withoutCache.searches} (−${red(withCache.searches, withoutCache.searches)})`,
        value: withCache.searches,
      },
      {
        ref: "13.2",
        what: "· repeated recommendations computed, on / off",
        requirement: "—",
        aim: "—",
        measured: `${withCache.recommendations} / ${withoutCache.recommendations} (−${red(withCache.recommendations, withoutCache.recommendations)})`,
        value: withCache.recommendations,
      },
      {
        ref: "13.2",
        what: "· embeddings for reverted edits, on / off",
        requirement: "—",
        aim: "—",
        measured: `${withCache.embeddingsRevert} / ${withoutCache.embeddingsRevert} (−${red(withCache.embeddingsRevert, withoutCache.embeddingsRevert)})`,
        value: withCache.embeddingsRevert,
      },
      {
        ref: "13.2",
        what: "· embeddings for re-ingested identical docs, on / off",
        requirement: "—",
        aim: "—",
        measured: `${withCache.embeddingsReingest} / ${withoutCache.embeddingsReingest} (store reuse)`,
        value: withCache.embeddingsReingest,
      },
      {
        ref: "13.3",
        what: "Zipf mix hit rate (reads served without loading)",
        requirement: "> 60%",
        aim: "≥ 85%",
        measured: `${pct(clientHitRate)} (search ${pct(searchRate)}, resource ${pct(resourceRate)})`,
        value: round(clientHitRate),
        unit: "ratio",
        meetsAim: clientHitRate >= 0.85,
      },
      {
        ref: "13.3",
        what: "· misses on first reads / on re-reads (re-read hit rate: all, keyword, hybrid, resource)",
        requirement: "—",
        aim: "—",
        measured: `${firstReads} / ${rereadMisses} (${pct(rereadHitRate)}: ${pct(rereadRate("keyword"))}, ${pct(rereadRate("hybrid"))}, ${pct(rereadRate("resource"))})`,
        value: round(rereadHitRate),
        unit: "ratio",
      },
      {
        ref: "13.3",
        what: "· /monitoring/cache hit rate, incl. the staleness probes",
        requirement: "—",
        aim: "—",
        measured: pct(monitoringRate),
        value: round(monitoringRate),
        unit: "ratio",
      },
      {
        ref: "13.3",
        what: "· latency p50/p95: hits | misses",
        requirement: "—",
        aim: "—",
        measured: `${ms(percentile(hitLat, 50))}/${ms(percentile(hitLat, 95))} | ${ms(percentile(missLat, 50))}/${ms(percentile(missLat, 95))}`,
        value: percentile(hitLat, 50),
        unit: "ms",
      },
      {
        ref: "7",
        what: `stale answers in ${updates} updates (resource, search new/old)`,
        requirement: "0",
        aim: "0",
        measured: `${staleTotal} (${stale.resourceOld}/${stale.searchNewMissing}/${stale.searchOldServed})`,
        value: staleTotal,
        meetsAim: staleTotal === 0,
      },
    ];
    notes.push(
      `Caches from the factory (createCaching): on = CACHE=on, ${on.layers} (REDIS_URL ${benchRedisUrl() ?? "unset"}, a private REDIS_PREFIX); off = CACHE=off (PassThroughCache). Swapped into the running stack's AppContext, so one ingested library serves both.`,
      `Repeat workload: ${repeatQueries.length} keyword queries × ${quick ? 3 : 5}, ${users.length} users' recommendations × ${quick ? 3 : 5}, ${k} edits reverted to their earlier text, ${k} documents ingested again; only the repeat pass is counted.`,
      `Zipf mix: ${measuredReads} measured reads after ${warmReads} warm-up reads over ${queries.length} queries (half hybrid, half keyword) and ${ids.length} documents; ${updates} updates in all; ${(zipfMs / 1000).toFixed(0)} s.`,
      `Cache L2 errors: ${firstOnStats.errors} while ingesting the library and running the repeat workload, ${statsAfter.errors} in the Zipf phase.${firstOnStats.errors > 0 ? " Seen in probes: Redis commands timing out (500 ms) while 100 concurrent ingestions saturate the event loop." : ""}${firstOnStats.errors > 0 && withCache.embeddingsRevert > 0 ? ` ${withCache.embeddingsRevert} reverted edits recomputed an embedding cached during that ingestion.` : ""}`,
      "Re-ingesting identical content is answered by the store (content-hash reuse in the ingestion task) before any cache is asked: 0 embeddings either way.",
    );
    return {
      title: "Caching",
      figures,
      details: {
        ingest: { documents: ids.length, wallMs: ingest.wallMs },
        repeat: { on: withCache, off: withoutCache, sumOn, sumOff, reduction },
        cacheStats: {
          repeatOn: { errors: firstOnStats.errors, byType: firstOnStats.byType, layers: firstOnStats.layers },
          zipfOn: { errors: statsAfter.errors, invalidations: statsAfter.invalidations, layers: statsAfter.layers },
        },
        zipf: {
          reads: samples.length,
          updates,
          clientHitRate,
          rereadHitRate,
          firstReads,
          rereadMisses,
          searchHitRate: searchRate,
          resourceHitRate: resourceRate,
          monitoring,
          hitLatencyMs: { p50: percentile(hitLat, 50), p95: percentile(hitLat, 95), n: hitLat.length, mean: mean(hitLat) },
          missLatencyMs: { p50: percentile(missLat, 50), p95: percentile(missLat, 95), n: missLat.length, mean: mean(missLat) },
          stale,
          updateToIndexCurrentMs: { p50: percentile(updateToIndexMs, 50), p95: percentile(updateToIndexMs, 95), n: updateToIndexMs.length },
          loaderMs: cache.loadMs,
        },
      },
      notes,
    };
  } finally {
    stack.app.cache = factoryCache;
    stack.app.searchResults = factoryResults;
    await stack.dispose();
    for (const bc of opened) await bc.close().catch(() => undefined);
    await sleep(0);
  }
};
