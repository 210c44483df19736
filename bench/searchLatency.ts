/**
 * `npm run bench:search-latency [-- --pages 303|<n>] [-- --embedder encoder|lexical] [-- --rounds 3]`:
 * uncached search latency per mode and per phase, in process (the search use
 * case, not HTTP), with the quality figures of the same run (success@5, MRR@10)
 * so that a speed-up can be checked not to cost quality.
 *
 * The store is imported once (bench/searchEval.ts's import through the real
 * pipeline) into a data directory kept under the system's temp dir and reused
 * by later runs with the same pages and embedder; delete it to re-import.
 * Pages: the quick set of the evaluation (the first 80 questions' accepted
 * pages plus others, seeded) grown to `--pages`; questions: those 80.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import type { SearchMode } from "@shared/app/search";
import type { Question } from "./lib/searchMetrics";

process.env.LOG_LEVEL ??= "silent";
const { startLocalStack } = await import("@local/stack");
const { instantTimings } = await import("@shared/events/routing");
const { search, embedQuery, keywordBesideEmbedding, CANDIDATES } = await import("@shared/app/search");
const { keywordRanking, keywordMatchIds, keywordMatches } = await import("@shared/app/searchKeyword");
const { fuseScores, KEYWORD_WEIGHT } = await import("@shared/domain/ranking");
const { semanticRanking } = await import("@shared/app/searchSemantic");
const { showHits } = await import("@shared/app/searchSnippets");
const { facetCounts } = await import("@shared/app/searchFilters");
const { servingEmbedder } = await import("@shared/app/embedderSwitch");
const { queryText, normalizeQuery } = await import("@shared/domain/ftsQuery");
const { DOCS_DIR, QUESTIONS, ensureManual, importManual } = await import("./searchEval");
const { scoreRankings } = await import("./lib/searchMetrics");
const { percentile, round } = await import("./lib/stats");
const { seededRandom } = await import("@test/helpers/seededRandom");

const { values } = parseArgs({ options: { pages: { type: "string", default: "303" }, embedder: { type: "string", default: "encoder" }, rounds: { type: "string", default: "3" } } });
const embedder = values.embedder === "lexical" ? "lexical" : "encoder";
const rounds = Math.max(1, Number(values.rounds));

function choosePages(n: number): { pages: string[]; questions: Question[] } {
  const all = JSON.parse(readFileSync(QUESTIONS, "utf8")) as Question[];
  const files = readdirSync(DOCS_DIR).filter((f) => f.endsWith(".html")).sort();
  const questions = all.slice(0, 80);
  const accepted = [...new Set(questions.flatMap((q) => q.accepted))].filter((f) => files.includes(f));
  const random = seededRandom(16);
  const others = files.filter((f) => !accepted.includes(f)).sort(() => random() - 0.5);
  return { pages: [...accepted, ...others].slice(0, Math.max(n, accepted.length)).sort(), questions };
}

ensureManual();
const { pages, questions } = choosePages(Number(values.pages));
const dataDir = path.join(os.tmpdir(), `alexandria-search-latency-${pages.length}-${embedder}`);
const idsFile = path.join(dataDir, "bench-ids.json");
const reuse = existsSync(idsFile);
const stack = await startLocalStack({
  routeOverrides: instantTimings(),
  workers: !reuse,
  env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `latency${process.pid}`, EMBEDDER: embedder, CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR, REDIS_URL: undefined },
});
let ids: Map<string, string>;
if (reuse) {
  ids = new Map(Object.entries(JSON.parse(readFileSync(idsFile, "utf8")) as Record<string, string>));
  process.stdout.write(`reusing ${dataDir} (${ids.size} pages)\n`);
} else {
  process.stdout.write(`importing ${pages.length} pages into ${dataDir} ...\n`);
  ids = (await importManual({ url: stack.url, store: stack.app.store.client }, pages)).ids;
  writeFileSync(idsFile, JSON.stringify(Object.fromEntries(ids)));
}
const ctx = stack.app;

async function time<T>(phases: Map<string, number[]>, name: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await f();
  const list = phases.get(name) ?? [];
  list.push(performance.now() - t0);
  phases.set(name, list);
  return out;
}

/** The whole use case per mode, and the parts it is made of, timed one by one on the same query. */
async function measure(mode: SearchMode, phases: Map<string, number[]>, rankings: Map<string, string[]>): Promise<void> {
  const model = (await servingEmbedder(ctx))?.id ?? "";
  for (const question of questions) {
    const res = await time(phases, `${mode}: search()`, () => search(ctx, { q: question.question, mode, limit: 10, offset: 0 }, { count: false }));
    rankings.set(question.id, res.results.map((hit) => ids.get(hit.id) ?? hit.id));
    const q = normalizeQuery(question.question);
    if (mode === "keyword") {
      const k = await time(phases, "keyword: ranking + total (limit 10)", () => keywordRanking(ctx, q, undefined, 10));
      await time(phases, "keyword: ranking + total (depth 100, hybrid)", () => keywordRanking(ctx, q, undefined, CANDIDATES));
      await time(phases, "keyword: snippets of 10", () => showHits(ctx, q, k.ranked.map((r) => ({ ...r, via: "keyword" as const }))));
      await time(phases, "keyword: facets (match ids + counts)", async () => facetCounts(ctx, await keywordMatchIds(ctx, q, undefined)));
    } else if (mode === "semantic") {
      const e = (await servingEmbedder(ctx))!;
      const v = await time(phases, "semantic: query embedding", () => embedQuery(ctx, e, queryText(q)));
      await time(phases, "semantic: vector scan (k 100)", () => semanticRanking(ctx, v, model, undefined, CANDIDATES));
    } else {
      // The hybrid's parts in its order: keyword ranking beside the query embedding, the scan, the total's check, the page shown.
      const { keyword: k, query, ahead } = await time(phases, "hybrid: keyword ranking (+ its first 10 hits' snippets) ∥ query embedding", () =>
        keywordBesideEmbedding(ctx, q, undefined, CANDIDATES, { offset: 0, limit: 10 }),
      );
      const semantic = await time(phases, "hybrid: vector scan (k 100)", () => semanticRanking(ctx, query!.vector, model, undefined, CANDIDATES));
      const byKeyword = new Set(k.ranked.map((r) => r.id));
      const unranked = semantic.filter((c) => !byKeyword.has(c.id)).map((c) => c.id);
      // Only when the ranking's statement did not read every match (more than 1,000), as in the search.
      await time(phases, "hybrid: keyword matches of the semantic-only (total)", async () => (k.ranked.length >= k.total || k.everyMatch ? undefined : keywordMatches(ctx, q, unranked)));
      const fused = fuseScores(k.ranked, semantic, KEYWORD_WEIGHT).slice(0, 10);
      const bySemantic = new Map(semantic.map((c) => [c.id, c]));
      await time(phases, "hybrid: snippets of 10 (those not read ahead)", () =>
        showHits(
          ctx,
          q,
          fused.map((f) => {
            const c = bySemantic.get(f.id);
            return byKeyword.has(f.id) || !c ? { ...f, via: "keyword" as const } : { ...f, via: "vector" as const, passage: { ordinal: c.ordinal, contentRevision: c.contentRevision } };
          }),
          ahead,
        ),
      );
    }
  }
}

const byPhase = new Map<string, number[]>();
const quality = new Map<string, ReturnType<typeof scoreRankings>>();
// Warm-up: the encoder's thread loads, SQLite's pages come into memory.
for (const question of questions.slice(0, 5)) await search(ctx, { q: question.question, mode: "hybrid", limit: 10, offset: 0 }, { count: false });
for (let r = 0; r < rounds; r++) {
  for (const mode of ["keyword", "semantic", "hybrid"] as SearchMode[]) {
    const rankings = new Map<string, string[]>();
    await measure(mode, byPhase, rankings);
    quality.set(mode, scoreRankings(questions, rankings));
  }
}
process.stdout.write(`\n${ids.size} pages, ${questions.length} questions × ${rounds} rounds, EMBEDDER=${embedder}, cache off, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n\n`);
process.stdout.write("| what | p50 ms | p99 ms |\n|---|---|---|\n");
for (const [name, list] of byPhase) process.stdout.write(`| ${name} | ${round(percentile(list, 50)).toFixed(1)} | ${round(percentile(list, 99)).toFixed(1)} |\n`);
process.stdout.write("\n| mode | success@5 | success@5 paraphrase | MRR@10 |\n|---|---|---|---|\n");
for (const [mode, m] of quality) process.stdout.write(`| ${mode} | ${(100 * m.all.success5).toFixed(1)}% | ${(100 * m.paraphrase.success5).toFixed(1)}% | ${m.all.mrr10.toFixed(3)} |\n`);
await stack.stop();
process.exit(0);
