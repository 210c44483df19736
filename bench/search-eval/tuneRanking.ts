/**
 * `npx tsx bench/search-eval/tuneRanking.ts [--pages 303|1169] [--questions 80|all]`:
 * offline tuning harness for the hybrid ranking (issue 16, docs/search.md "Tuning the hybrid").
 *
 * Opens the store `npm run bench:search-latency -- --pages N` imported and kept
 * (run that first), reads per question the keyword side's raw features (BM25
 * per column weighting, content words matched, best passage BM25) and every
 * passage vector's cosine to the query (the serving encoder), then scores
 * ranking variants on the labelled questions, all from the same features, so
 * that variants differ only in the arithmetic. Prints one row per variant
 * (TUNE_EXTRA=<text>: only the variants whose name contains it, beside the
 * before/after rows; TUNE_DIAG=1: where the accepted pages sit for the
 * questions the hybrid misses). Features are cached in the data directory
 * (tune-features.json; --refresh to recompute). The harness re-implements the
 * ranking arithmetic; its "before" rows reproduce `npm run bench:search-latency`.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import type { Question } from "../lib/searchMetrics";
import { type Ranked, dot, normalise, top } from "./rankingMath";
import { openKeptStore } from "./keptStore";

process.env.LOG_LEVEL ??= "silent";
const { startLocalStack } = await import("@local/stack");
const { instantTimings } = await import("@shared/events/routing");
const { embedQuery } = await import("@shared/app/search");
const { servingEmbedder } = await import("@shared/app/embedderSwitch");
const { contentTerms, parseQuery, queryText, normalizeQuery, termExpression } = await import("@shared/domain/ftsQuery");
const { DOCS_DIR, QUESTIONS } = await import("../searchEval");
const { scoreRankings } = await import("../lib/searchMetrics");

const { values } = parseArgs({ options: { pages: { type: "string", default: "303" }, questions: { type: "string", default: "80" }, refresh: { type: "boolean", default: false } } });
const store = openKeptStore(DOCS_DIR, values.pages);
const { dataDir, ids } = store;
// Only questions with an accepted page in the store can be answered.
const questions = store.answerable(QUESTIONS, values.questions);

/** Column weightings of BM25 (title, description, body) measured. */
const WEIGHTINGS: Array<[number, number, number]> = [
  [8, 3, 1],
  [4, 2, 1],
  [16, 3, 1],
  [2, 1, 1],
  [8, 1, 1],
  [1, 1, 1],
  [30, 3, 1],
];

interface Features {
  /** Per weighting: resource id → raw BM25 (positive). */
  bm25: Array<Record<string, number>>;
  /** Resource id → content terms matched (of `terms`). */
  matched: Record<string, number>;
  terms: number;
  /** Resource id → best passage BM25 (heading ×4, body ×1; positive). */
  passageBm25: Record<string, number>;
  /** Resource id → title cosine, and passage cosines best first (top 8). */
  title: Record<string, number>;
  passages: Record<string, number[]>;
  /** Query vector. */
  vector: number[];
}

const cacheFile = path.join(dataDir, "tune-features.json");
let features: Record<string, Features>;
const docVectors: Map<string, Float32Array[]> = new Map();

const stack = await startLocalStack({
  routeOverrides: instantTimings(),
  workers: false,
  env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `tune${process.pid}`, EMBEDDER: "encoder", CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR, REDIS_URL: undefined },
});
const ctx = stack.app;
const embedder = (await servingEmbedder(ctx))!;
{
  // All passage vectors, for the cosines and pseudo-relevance feedback.
  const rows = await ctx.store.db.all<{ resource_id: string; ordinal: number; vector: Uint8Array | ArrayBuffer }>(
    sql`SELECT resource_id, ordinal, vector FROM passage_vectors WHERE model = ${embedder.id}`,
  );
  for (const r of rows) {
    const bytes = r.vector instanceof Uint8Array ? r.vector : new Uint8Array(r.vector);
    const v = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    normalise(v);
    const list = docVectors.get(r.resource_id) ?? [];
    if (Number(r.ordinal) === -1) list.unshift(v);
    else list.push(v);
    docVectors.set(r.resource_id, list);
  }
}
const passageOwner = new Map((await ctx.store.db.all<{ id: number; rid: string }>(sql`SELECT id, resource_id AS rid FROM passages`)).map((r) => [Number(r.id), r.rid]));
if (existsSync(cacheFile) && !values.refresh) {
  features = JSON.parse(readFileSync(cacheFile, "utf8")) as Record<string, Features>;
} else {
  features = {};
  for (const question of store.answerable(QUESTIONS)) {
    const q = normalizeQuery(question.question);
    const terms = contentTerms(parseQuery(q));
    const match = terms.map(termExpression).join(" OR ");
    const f: Features = { bm25: [], matched: {}, terms: terms.length, passageBm25: {}, title: {}, passages: {}, vector: [] };
    for (const [t, d, b] of WEIGHTINGS) {
      const rows = await ctx.store.db.all<{ id: string; s: number }>(
        sql`SELECT resource_id AS id, -bm25(resources_fts, 0.0, ${t}, ${d}, ${b}) AS s FROM resources_fts WHERE resources_fts MATCH ${match}`,
      );
      f.bm25.push(Object.fromEntries(rows.map((r) => [r.id, Number(r.s)])));
    }
    for (const term of terms) {
      const rows = await ctx.store.db.all<{ id: string }>(sql`SELECT resource_id AS id FROM resources_fts WHERE resources_fts MATCH ${termExpression(term)}`);
      for (const r of rows) f.matched[r.id] = (f.matched[r.id] ?? 0) + 1;
    }
    const prow = await ctx.store.db.all<{ pid: number; s: number }>(sql`SELECT rowid AS pid, -bm25(passages_fts, 4.0, 1.0) AS s FROM passages_fts WHERE passages_fts MATCH ${match}`);
    for (const r of prow) {
      const id = passageOwner.get(Number(r.pid));
      if (id !== undefined) f.passageBm25[id] = Math.max(f.passageBm25[id] ?? 0, Number(r.s));
    }
    const vector = await embedQuery(ctx, embedder, queryText(q));
    f.vector = vector;
    const qv = normalise(Float32Array.from(vector));
    for (const [id, list] of docVectors) {
      const cos = list.map((v) => dot(qv, v));
      f.title[id] = cos[0]!;
      f.passages[id] = cos.slice(1).sort((a, b) => b - a).slice(0, 8);
    }
    features[question.id] = f;
  }
  writeFileSync(cacheFile, JSON.stringify(features));
}



interface KeywordOpts { weighting?: number; floor?: number; coveragePower?: number; passageMix?: number }
function keywordSide(f: Features, o: KeywordOpts = {}): Ranked {
  const bm = f.bm25[o.weighting ?? 0]!;
  const floor = o.floor ?? 0.5;
  const m = new Map<string, number>();
  for (const [id, s] of Object.entries(bm)) {
    const cov = f.terms === 1 ? 1 : (f.matched[id] ?? 0) / f.terms;
    let score = s * (floor + Math.pow(cov, o.coveragePower ?? 1));
    if (o.passageMix) score += o.passageMix * (f.passageBm25[id] ?? 0) * (floor + Math.pow(cov, o.coveragePower ?? 1));
    m.set(id, score);
  }
  return top(m);
}

interface SemanticOpts { agg?: "max" | "maxPlus" | "top2" | "top3mean" | "topKavail"; k?: number; second?: number; titleWeight?: number; noTitle?: boolean }
function docSimilarity(f: Features, id: string, o: SemanticOpts): number {
  const p = f.passages[id] ?? [];
  const t = o.noTitle ? Number.NEGATIVE_INFINITY : (f.title[id] ?? Number.NEGATIVE_INFINITY) * (o.titleWeight ?? 1);
  const all = [t, ...p].filter(Number.isFinite).sort((a, b) => b - a);
  if (all.length === 0) return Number.NEGATIVE_INFINITY;
  switch (o.agg ?? "max") {
    case "max":
      return all[0]!;
    case "maxPlus":
      return all[0]! + (o.second ?? 0.3) * (all[1] ?? all[0]!);
    case "top2":
      return (all[0]! + (all[1] ?? all[0]!)) / 2;
    case "top3mean":
      return (all[0]! + (all[1] ?? all[0]!) + (all[2] ?? all[1] ?? all[0]!)) / 3;
    case "topKavail": {
      const best = all.slice(0, o.k ?? 3);
      return best.reduce((a, x) => a + x, 0) / best.length;
    }
  }
}
function semanticSide(f: Features, o: SemanticOpts = {}): Ranked {
  const m = new Map<string, number>();
  for (const id of Object.keys(f.title).concat(Object.keys(f.passages))) if (!m.has(id)) m.set(id, docSimilarity(f, id, o));
  return top(m);
}

/** Semantic side with Rocchio feedback: the query vector moved toward the best passages of the first `docs` hits of `first`. */
function prfSemantic(f: Features, first: Ranked, docs: number, beta: number): Ranked {
  const qv = normalise(Float32Array.from(f.vector));
  const centroid = new Float32Array(qv.length);
  for (const hit of first.slice(0, docs)) {
    const list = docVectors.get(hit.id) ?? [];
    let best: Float32Array | null = null;
    let bs = -2;
    for (const v of list) {
      const c = dot(qv, v);
      if (c > bs) [bs, best] = [c, v];
    }
    if (best) for (let i = 0; i < qv.length; i++) centroid[i]! += best[i]!;
  }
  normalise(centroid);
  const q2 = normalise(qv.map((x, i) => x + beta * centroid[i]!));
  const m = new Map<string, number>();
  for (const [id, list] of docVectors) {
    let b = -2;
    for (const v of list) b = Math.max(b, dot(q2, v));
    m.set(id, b);
  }
  return top(m);
}

interface FuseOpts { w?: number; window?: number; kwNorm?: "max" | "minmax" | "rank" | "log" ; semNorm?: "minmax" | "max" | "z" | "rank"; rrfK?: number; adaptive?: (f: Features, kw: Ranked) => number }
function fuse(f: Features, kw: Ranked, sem: Ranked, o: FuseOpts = {}): Ranked {
  const w = o.adaptive ? o.adaptive(f, kw) : o.w ?? 0.65;
  const m = new Map<string, number>();
  const add = (id: string, x: number) => m.set(id, (m.get(id) ?? 0) + x);
  if (o.rrfK !== undefined) {
    kw.forEach((s, i) => add(s.id, w / (o.rrfK! + i + 1)));
    sem.forEach((s, i) => add(s.id, (1 - w) / (o.rrfK! + i + 1)));
    return top(m);
  }
  const best = kw[0]?.score ?? 0;
  const window = o.window ?? 50;
  const kwLo = kw[Math.min(kw.length, window) - 1]?.score ?? 0;
  kw.forEach((s, i) => {
    let x: number;
    switch (o.kwNorm ?? "max") {
      case "max": x = s.score / best; break;
      case "minmax": x = best > kwLo ? Math.max(0, (s.score - kwLo) / (best - kwLo)) : 1; break;
      case "rank": x = 1 - i / kw.length; break;
      case "log": x = Math.log1p(s.score) / Math.log1p(best); break;
    }
    add(s.id, w * x);
  });
  const hi = sem[0]?.score ?? 0;
  const lo = sem[Math.min(sem.length, window) - 1]?.score ?? 0;
  const slice = sem.slice(0, window);
  const mean = slice.reduce((a, s) => a + s.score, 0) / slice.length;
  const sd = Math.sqrt(slice.reduce((a, s) => a + (s.score - mean) ** 2, 0) / slice.length) || 1;
  sem.forEach((s, i) => {
    let x: number;
    switch (o.semNorm ?? "minmax") {
      case "minmax": x = hi > lo ? Math.max(0, (s.score - lo) / (hi - lo)) : 1; break;
      case "max": x = s.score / hi; break;
      case "z": x = Math.max(0, (s.score - mean) / sd) / Math.max(1e-9, (hi - mean) / sd); break;
      case "rank": x = 1 - i / sem.length; break;
    }
    add(s.id, (1 - w) * x);
  });
  return top(m);
}

type Variant = [string, (f: Features) => Ranked];
const variants: Variant[] = [
  ["keyword (before = after)", (f) => keywordSide(f)],
  ["semantic (before: best passage or title)", (f) => semanticSide(f)],
  ["hybrid (before: kw÷best, sem min-max 50, w 0.65)", (f) => fuse(f, keywordSide(f), semanticSide(f))],
  ["semantic (after: mean of best 3)", (f) => semanticSide(f, { agg: "topKavail", k: 3 })],
  ["hybrid (after: w 0.7, semantic mean of best 3)", (f) => fuse(f, keywordSide(f), semanticSide(f, { agg: "topKavail", k: 3 }), { w: 0.7 })],
];
for (const w of [0.5, 0.55, 0.6, 0.7, 0.75]) variants.push([`hybrid w ${w}`, (f) => fuse(f, keywordSide(f), semanticSide(f), { w })]);
for (const window of [20, 30, 100]) variants.push([`hybrid window ${window}`, (f) => fuse(f, keywordSide(f), semanticSide(f), { window })]);
for (const kwNorm of ["minmax", "log", "rank"] as const) variants.push([`hybrid kwNorm ${kwNorm}`, (f) => fuse(f, keywordSide(f), semanticSide(f), { kwNorm })]);
for (const semNorm of ["z", "max", "rank"] as const) variants.push([`hybrid semNorm ${semNorm}`, (f) => fuse(f, keywordSide(f), semanticSide(f), { semNorm })]);
for (const [k, w] of [[60, 0.5], [60, 0.65], [20, 0.65], [10, 0.6]]) variants.push([`RRF k ${k} w ${w}`, (f) => fuse(f, keywordSide(f), semanticSide(f), { rrfK: k, w })]);
WEIGHTINGS.forEach((wt, i) => {
  if (i === 0) return;
  variants.push([`keyword weights ${wt.join("/")}`, (f) => keywordSide(f, { weighting: i })]);
  variants.push([`hybrid, keyword weights ${wt.join("/")}`, (f) => fuse(f, keywordSide(f, { weighting: i }), semanticSide(f))]);
});
for (const floor of [0, 0.25, 1, 2]) {
  variants.push([`keyword floor ${floor}`, (f) => keywordSide(f, { floor })]);
  variants.push([`hybrid, keyword floor ${floor}`, (f) => fuse(f, keywordSide(f, { floor }), semanticSide(f))]);
}
for (const coveragePower of [2, 3]) {
  variants.push([`keyword coverage^${coveragePower}`, (f) => keywordSide(f, { coveragePower })]);
  variants.push([`hybrid, keyword coverage^${coveragePower}`, (f) => fuse(f, keywordSide(f, { coveragePower }), semanticSide(f))]);
}
for (const passageMix of [0.5, 1, 2]) {
  variants.push([`keyword + passage BM25 ×${passageMix}`, (f) => keywordSide(f, { passageMix })]);
  variants.push([`hybrid, keyword + passage BM25 ×${passageMix}`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f))]);
}
for (const o of [{ agg: "maxPlus", second: 0.3 }, { agg: "maxPlus", second: 0.6 }, { agg: "top2" }, { agg: "top3mean" }, { noTitle: true }, { titleWeight: 0.9 }, { titleWeight: 1.1 }] as SemanticOpts[]) {
  variants.push([`semantic ${JSON.stringify(o)}`, (f) => semanticSide(f, o)]);
  variants.push([`hybrid, semantic ${JSON.stringify(o)}`, (f) => fuse(f, keywordSide(f), semanticSide(f, o))]);
}
for (const [docs, beta] of [[3, 0.5], [3, 1], [5, 0.5], [1, 0.5]] as Array<[number, number]>) {
  variants.push([`hybrid, semantic PRF from hybrid top ${docs} β ${beta}`, (f) => fuse(f, keywordSide(f), prfSemantic(f, fuse(f, keywordSide(f), semanticSide(f)), docs, beta))]);
  variants.push([`semantic PRF from keyword top ${docs} β ${beta}`, (f) => prfSemantic(f, keywordSide(f), docs, beta)]);
  variants.push([`hybrid, semantic PRF from keyword top ${docs} β ${beta}`, (f) => fuse(f, keywordSide(f), prfSemantic(f, keywordSide(f), docs, beta))]);
}
// Adaptive weight: lean on meaning when the best keyword hit matches few of the content words.
for (const [lo, hi] of [[0.5, 0.7], [0.45, 0.75], [0.55, 0.7], [0.5, 0.8]] as Array<[number, number]>) {
  variants.push([`hybrid adaptive w ${lo}..${hi} by best coverage`, (f) => fuse(f, keywordSide(f), semanticSide(f), {
    adaptive: (ff, kw) => {
      const id = kw[0]?.id;
      const cov = id && ff.terms > 0 ? (ff.matched[id] ?? 0) / ff.terms : 0;
      return lo + (hi - lo) * cov;
    },
  })]);
}

// Combinations of what helped alone.
const adaptiveBy = (lo: number, hi: number) => (ff: Features, kw: Ranked) => {
  const id = kw[0]?.id;
  return lo + (hi - lo) * (id && ff.terms > 0 ? (ff.matched[id] ?? 0) / ff.terms : 0);
};
for (const passageMix of [0.5, 1]) {
  for (const w of [0.6, 0.65, 0.7]) variants.push([`combo passage ×${passageMix}, w ${w}`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f), { w })]);
  variants.push([`combo passage ×${passageMix}, adaptive 0.5..0.7`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f), { adaptive: adaptiveBy(0.5, 0.7) })]);
  variants.push([`combo passage ×${passageMix}, adaptive 0.55..0.75`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f), { adaptive: adaptiveBy(0.55, 0.75) })]);
  variants.push([`combo passage ×${passageMix}, kw minmax`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f), { kwNorm: "minmax" })]);
  variants.push([`combo passage ×${passageMix}, floor 1`, (f) => fuse(f, keywordSide(f, { passageMix, floor: 1 }), semanticSide(f))]);
  variants.push([`combo passage ×${passageMix}, top3mean`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f, { agg: "top3mean" }))]);
  variants.push([`combo passage ×${passageMix}, maxPlus 0.3`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f, { agg: "maxPlus", second: 0.3 }))]);
}
variants.push([`combo adaptive 0.5..0.7, maxPlus 0.3`, (f) => fuse(f, keywordSide(f), semanticSide(f, { agg: "maxPlus", second: 0.3 }), { adaptive: adaptiveBy(0.5, 0.7) })]);
variants.push([`combo w 0.6 floor 2`, (f) => fuse(f, keywordSide(f, { floor: 2 }), semanticSide(f), { w: 0.6 })]);
for (const w of [0.65, 0.7, 0.75]) {
  for (const o of [{ agg: "max" }, { agg: "top2" }, { agg: "top3mean" }, { agg: "topKavail", k: 2 }, { agg: "topKavail", k: 3 }, { agg: "maxPlus", second: 0.6 }] as SemanticOpts[]) {
    for (const passageMix of [0, 0.5]) {
      variants.push([`grid w ${w} ${JSON.stringify(o)} passage ×${passageMix}`, (f) => fuse(f, keywordSide(f, { passageMix }), semanticSide(f, o), { w })]);
    }
  }
}
for (const o of [{ agg: "topKavail", k: 2 }, { agg: "topKavail", k: 3 }, { agg: "topKavail", k: 4 }] as SemanticOpts[]) variants.push([`grid semantic ${JSON.stringify(o)}`, (f) => semanticSide(f, o)]);
if (process.env.TUNE_DIAG) {
  // Where the accepted pages sit on each side for the questions the current hybrid misses in its first five.
  const rankOf = (r: Ranked, q: Question) => {
    const i = r.findIndex((x) => q.accepted.includes(ids.get(x.id) ?? ""));
    return i < 0 ? "-" : String(i + 1);
  };
  for (const q of questions) {
    const f = features[q.id]!;
    const h = fuse(f, keywordSide(f), semanticSide(f));
    const at = rankOf(h, q);
    if (at !== "-" && Number(at) <= 5) continue;
    const pm = new Map(Object.entries(f.passageBm25));
    process.stdout.write(`${q.id} ${q.kind} hybrid ${at} kw ${rankOf(keywordSide(f), q)} sem ${rankOf(semanticSide(f), q)} passageBM25 ${rankOf(top(pm), q)} | ${q.question} | top: ${h.slice(0, 3).map((x) => ids.get(x.id)).join(", ")} | want ${q.accepted.join(", ")}\n`);
  }
}
const extra = (process.env.TUNE_EXTRA ?? "").trim();
const table: string[] = ["| variant | s@1 | s@5 | s@5 easy | s@5 paraphrase | MRR@10 | nDCG@10 |", "|---|---|---|---|---|---|---|"];
for (const [name, rank] of variants) {
  if (extra && !name.includes(extra) && !name.includes("before") && !name.includes("after")) continue;
  const rankings = new Map<string, string[]>();
  for (const q of questions) rankings.set(q.id, rank(features[q.id]!).slice(0, 10).map((r) => ids.get(r.id) ?? r.id));
  const m = scoreRankings(questions, rankings);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  table.push(`| ${name} | ${pct(m.all.success1)} | ${pct(m.all.success5)} | ${pct(m.easy.success5)} | ${pct(m.paraphrase.success5)} | ${m.all.mrr10.toFixed(3)} | ${m.all.ndcg10.toFixed(3)} |`);
}
process.stdout.write(`${ids.size} pages, ${questions.length} questions (${questions.filter((q) => q.kind === "paraphrase").length} paraphrases)\n\n${table.join("\n")}\n`);
await stack.stop();
process.exit(0);
