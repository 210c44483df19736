/**
 * `npx tsx bench/search-eval/rerankProbe.ts [--pages 303|1169] [--questions 80|all] [--depth 20]`:
 * measures a second-stage re-ranker of the hybrid's first `depth` hits (issue 16,
 * docs/search.md "Tuning the hybrid"): the fused score plus a linear mix of cheap
 * per-candidate features, the weights chosen on questions other than the ones scored.
 *
 * Run `tuneRanking.ts` first: this reads its per-question features
 * (tune-features.json in the kept store; read only) and reproduces its "after"
 * hybrid (keyword 0.7, semantic mean of best 3). The text features come from
 * the store's FTS5 tables with the search's own tokenizer (Porter), per query
 * content term: in the title, in a section heading, in the best passage
 * (passage covering most content words), adjacent query terms within 4 tokens
 * (NEAR) or as a phrase, all terms within 12 tokens. The development questions
 * (dev-questions.json) get the same features computed here. Cached in
 * $TMPDIR/alexandria-rerank-probe-<pages>.json (--refresh to recompute).
 *
 * Weights: coordinate ascent over a grid, objective s@5 + s@1 + reciprocal
 * rank (counts) on the fitting questions. Reported, all held out:
 *  - dev: fitted on the 28 development questions, scored on the whole slice;
 *  - cv: two folds (even / odd position in questions.json), each fitted on the
 *    other fold plus the development questions; the two held-out halves scored together;
 *  - nested: as cv, with the feature set and fitter also chosen inside the fitting questions;
 *  - (not 1169 pages) the weights a `--pages 1169 --questions all` run fitted on its folds
 *    ($TMPDIR/alexandria-rerank-probe-weights-d<depth>.json), applied to this slice's same-parity questions.
 * --time: what the one score feature the search lacks (the candidates' best passage BM25) costs per query.
 * Results and the decision: docs/search.md, "Re-ranking the first 20 or 30".
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
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
const { scoreOne } = await import("../lib/searchMetrics");

const { values } = parseArgs({ options: { pages: { type: "string", default: "303" }, questions: { type: "string", default: "80" }, depth: { type: "string", default: "20" }, refresh: { type: "boolean", default: false }, time: { type: "boolean", default: false } } });
const depth = Number(values.depth);
const store = openKeptStore(DOCS_DIR, values.pages);
const { dataDir, ids, pages: nPages } = store;
const evalQs = store.answerable(QUESTIONS, values.questions);
const devQs = store.answerable(path.join(path.dirname(QUESTIONS), "dev-questions.json"));

/** tuneRanking.ts's features (only what the hybrid reads). */
interface Base {
  bm25: Array<Record<string, number>>;
  matched: Record<string, number>;
  terms: number;
  passageBm25: Record<string, number>;
  title: Record<string, number>;
  passages: Record<string, number[]>;
}
/** Text features per question: resource ids per content term / term pair. */
interface TextFeatures {
  terms: number;
  inTitle: string[][];
  inHeading: string[][];
  /** Resource id → most content terms one passage of it has. */
  bestPassageTerms: Record<string, number>;
  pairs: number;
  near: string[][];
  phrase: string[][];
  allNear: string[];
  /** Milliseconds the text queries took (whole corpus, not limited to the candidates). */
  ms: number;
}

const base: Record<string, Base> = JSON.parse(readFileSync(path.join(dataDir, "tune-features.json"), "utf8")) as Record<string, Base>;
const cacheFile = path.join(os.tmpdir(), `alexandria-rerank-probe-${nPages}.json`);
let text: Record<string, TextFeatures> = {};
let devBase: Record<string, Base> = {};
const needStack = values.refresh || !existsSync(cacheFile);
if (!needStack) ({ text, devBase } = JSON.parse(readFileSync(cacheFile, "utf8")) as { text: Record<string, TextFeatures>; devBase: Record<string, Base> });
else {
  const stack = await startLocalStack({
    routeOverrides: instantTimings(),
    workers: false,
    env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `rerank${process.pid}`, EMBEDDER: "encoder", CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR, REDIS_URL: undefined },
  });
  const db = stack.app.store.db;
  const passageOwner = new Map((await db.all<{ id: number; rid: string }>(sql`SELECT id, resource_id AS rid FROM passages`)).map((r) => [Number(r.id), r.rid]));
  const resourceIds = async (match: string) => (await db.all<{ id: string }>(sql`SELECT resource_id AS id FROM resources_fts WHERE resources_fts MATCH ${match}`)).map((r) => r.id);
  const passageIds = async (match: string) => (await db.all<{ pid: number }>(sql`SELECT rowid AS pid FROM passages_fts WHERE passages_fts MATCH ${match}`)).map((r) => Number(r.pid));
  for (const q of [...store.answerable(QUESTIONS), ...devQs]) {
    const terms = contentTerms(parseQuery(normalizeQuery(q.question)));
    const t0 = performance.now();
    const exprs = terms.map(termExpression);
    const f: TextFeatures = { terms: terms.length, inTitle: [], inHeading: [], bestPassageTerms: {}, pairs: 0, near: [], phrase: [], allNear: [], ms: 0 };
    const perPassage = new Map<number, number>();
    for (const e of exprs) {
      f.inTitle.push(await resourceIds(`title : ${e}`));
      f.inHeading.push([...new Set((await passageIds(`heading : ${e}`)).map((p) => passageOwner.get(p)!).filter(Boolean))]);
      for (const p of await passageIds(e)) perPassage.set(p, (perPassage.get(p) ?? 0) + 1);
    }
    for (const [p, n] of perPassage) {
      const rid = passageOwner.get(p);
      if (rid) f.bestPassageTerms[rid] = Math.max(f.bestPassageTerms[rid] ?? 0, n);
    }
    for (let i = 0; i + 1 < terms.length; i++) {
      f.pairs++;
      f.near.push(await resourceIds(`NEAR(${exprs[i]} ${exprs[i + 1]}, 4)`));
      const a = terms[i]!;
      const b = terms[i + 1]!;
      f.phrase.push(a.kind === "word" && b.kind === "word" ? await resourceIds(`"${a.word} ${b.word}"`) : []);
    }
    if (terms.length >= 2) f.allNear = await resourceIds(`NEAR(${exprs.join(" ")}, 12)`);
    f.ms = performance.now() - t0;
    text[q.id] = f;
  }
  // The development questions' hybrid features, computed as tuneRanking.ts computes them (first column weighting only).
  const embedder = (await servingEmbedder(stack.app))!;
  const docVectors = new Map<string, Float32Array[]>();
  for (const r of await db.all<{ resource_id: string; ordinal: number; vector: Uint8Array | ArrayBuffer }>(sql`SELECT resource_id, ordinal, vector FROM passage_vectors WHERE model = ${embedder.id}`)) {
    const bytes = r.vector instanceof Uint8Array ? r.vector : new Uint8Array(r.vector);
    const v = normalise(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    const list = docVectors.get(r.resource_id) ?? [];
    if (Number(r.ordinal) === -1) list.unshift(v);
    else list.push(v);
    docVectors.set(r.resource_id, list);
  }
  for (const question of devQs) {
    const q = normalizeQuery(question.question);
    const terms = contentTerms(parseQuery(q));
    const match = terms.map(termExpression).join(" OR ");
    const f: Base = { bm25: [], matched: {}, terms: terms.length, passageBm25: {}, title: {}, passages: {} };
    const rows = await db.all<{ id: string; s: number }>(sql`SELECT resource_id AS id, -bm25(resources_fts, 0.0, 8, 3, 1) AS s FROM resources_fts WHERE resources_fts MATCH ${match}`);
    f.bm25.push(Object.fromEntries(rows.map((r) => [r.id, Number(r.s)])));
    for (const term of terms) for (const id of await resourceIds(termExpression(term))) f.matched[id] = (f.matched[id] ?? 0) + 1;
    for (const r of await db.all<{ pid: number; s: number }>(sql`SELECT rowid AS pid, -bm25(passages_fts, 4.0, 1.0) AS s FROM passages_fts WHERE passages_fts MATCH ${match}`)) {
      const id = passageOwner.get(Number(r.pid));
      if (id !== undefined) f.passageBm25[id] = Math.max(f.passageBm25[id] ?? 0, Number(r.s));
    }
    const qv = normalise(Float32Array.from(await embedQuery(stack.app, embedder, queryText(q))));
    for (const [id, list] of docVectors) {
      const cos = list.map((v) => dot(qv, v));
      f.title[id] = cos[0]!;
      f.passages[id] = cos.slice(1).sort((a, b) => b - a).slice(0, 8);
    }
    devBase[question.id] = f;
  }
  writeFileSync(cacheFile, JSON.stringify({ text, devBase }));
  await stack.stop();
}
for (const [id, f] of Object.entries(devBase)) base[id] = f;



/** The search's hybrid now (tuneRanking.ts "after"): keyword BM25 × (0.5 + coverage) ÷ best, semantic mean of best 3 min-max over 50, keyword 0.7. */
function hybrid(f: Base): { fused: Ranked; kw: Ranked; sem: Map<string, number>; semLo: number; semHi: number } {
  const km = new Map<string, number>();
  for (const [id, s] of Object.entries(f.bm25[0]!)) km.set(id, s * (0.5 + (f.terms === 1 ? 1 : (f.matched[id] ?? 0) / f.terms)));
  const kw = top(km);
  const sm = new Map<string, number>();
  for (const id of new Set([...Object.keys(f.title), ...Object.keys(f.passages)])) {
    const all = [f.title[id] ?? Number.NEGATIVE_INFINITY, ...(f.passages[id] ?? [])].filter(Number.isFinite).sort((a, b) => b - a).slice(0, 3);
    sm.set(id, all.reduce((a, x) => a + x, 0) / all.length);
  }
  const sem = top(sm);
  const m = new Map<string, number>();
  const add = (id: string, x: number) => m.set(id, (m.get(id) ?? 0) + x);
  const best = kw[0]?.score ?? 0;
  for (const s of kw) add(s.id, (0.7 * s.score) / best);
  const hi = sem[0]?.score ?? 0;
  const lo = sem[Math.min(sem.length, 50) - 1]?.score ?? 0;
  for (const s of sem) add(s.id, 0.3 * (hi > lo ? Math.max(0, (s.score - lo) / (hi - lo)) : 1));
  return { fused: top(m), kw, sem: sm, semLo: lo, semHi: hi };
}

const FEATURES = ["titleShare", "headingShare", "bestPassageShare", "nearShare", "phraseShare", "allNear", "coverage", "keyword", "semantic", "bestCosine", "titleCosine", "passageBm25", "keywordRank"] as const;
type FeatureName = (typeof FEATURES)[number];
interface Candidates { qid: string; ids: string[]; fused: number[]; x: number[][]; tail: string[] }

/** Per question: the first `depth` hybrid hits with their fused score and features (each in [0, 1]). */
function candidatesOf(qid: string): Candidates {
  const f = base[qid]!;
  const t = text[qid]!;
  const { fused, kw, sem, semLo, semHi } = hybrid(f);
  const head = fused.slice(0, depth);
  const kwRank = new Map(kw.map((k, i) => [k.id, i]));
  const kwBest = kw[0]?.score ?? 1;
  const kwScore = new Map(kw.map((k) => [k.id, k.score / kwBest]));
  const maxCos = (id: string) => Math.max(f.title[id] ?? -1, f.passages[id]?.[0] ?? -1);
  const span = (xs: number[]) => [Math.min(...xs), Math.max(...xs)] as const;
  const [cLo, cHi] = span(head.map((h) => maxCos(h.id)));
  const [tLo, tHi] = span(head.map((h) => f.title[h.id] ?? -1));
  const pMax = Math.max(1e-9, ...head.map((h) => f.passageBm25[h.id] ?? 0));
  const share = (lists: string[][], id: string, n: number) => (n > 0 ? lists.filter((l) => l.includes(id)).length / n : 0);
  const x = head.map((h) => {
    const id = h.id;
    const row: Record<FeatureName, number> = {
      titleShare: share(t.inTitle, id, t.terms),
      headingShare: share(t.inHeading, id, t.terms),
      bestPassageShare: t.terms > 0 ? (t.bestPassageTerms[id] ?? 0) / t.terms : 0,
      nearShare: share(t.near, id, t.pairs),
      phraseShare: share(t.phrase, id, t.pairs),
      allNear: t.allNear.includes(id) ? 1 : 0,
      coverage: f.terms > 0 ? (f.matched[id] ?? 0) / f.terms : 0,
      keyword: kwScore.get(id) ?? 0,
      semantic: semHi > semLo ? Math.max(0, ((sem.get(id) ?? semLo) - semLo) / (semHi - semLo)) : 0,
      bestCosine: cHi > cLo ? (maxCos(id) - cLo) / (cHi - cLo) : 0,
      titleCosine: tHi > tLo ? ((f.title[id] ?? tLo) - tLo) / (tHi - tLo) : 0,
      passageBm25: (f.passageBm25[id] ?? 0) / pMax,
      keywordRank: kwRank.has(id) ? 1 / (1 + kwRank.get(id)!) : 0,
    };
    return FEATURES.map((n) => row[n]);
  });
  return { qid, ids: head.map((h) => h.id), fused: head.map((h) => h.score), x, tail: fused.slice(depth, 10 + depth).map((h) => h.id) };
}

function rerank(c: Candidates, w: number[]): string[] {
  const scored = c.ids.map((id, i) => ({ id, s: c.fused[i]! + c.x[i]!.reduce((a, v, j) => a + v * w[j]!, 0) }));
  scored.sort((a, b) => b.s - a.s || (a.id < b.id ? -1 : 1));
  return [...scored.map((s) => s.id), ...c.tail].slice(0, 10);
}

const allQs = new Map([...evalQs, ...devQs].map((q) => [q.id, q]));
const cands = new Map([...allQs.keys()].map((id) => [id, candidatesOf(id)]));
function per(qs: Question[], w: number[]) {
  return qs.map((q) => ({ q, s: scoreOne(q.accepted, rerank(cands.get(q.id)!, w).map((id) => ids.get(id) ?? id)) }));
}
const objective = (qs: Question[], w: number[]) => per(qs, w).reduce((a, { s }) => a + s.success5 + s.success1 + s.mrr10, 0);

const GRID = [-0.4, -0.2, -0.1, -0.05, 0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.6];
/** Coordinate ascent from zero weights (zero = the hybrid unchanged); a change must gain, ties keep the smaller weight. */
function fit(qs: Question[], only: readonly FeatureName[] = FEATURES): number[] {
  const w = FEATURES.map(() => 0);
  let best = objective(qs, w);
  for (let pass = 0; pass < 3; pass++) {
    let moved = false;
    for (let j = 0; j < FEATURES.length; j++) {
      if (!only.includes(FEATURES[j]!)) continue;
      for (const g of GRID) {
        if (g === w[j]) continue;
        const trial = [...w];
        trial[j] = g;
        const o = objective(qs, trial);
        if (o > best + 1e-9) [best, w[j], moved] = [o, g, true];
      }
    }
    if (!moved) break;
  }
  return w;
}

/**
 * A smoother fit than the grid: a listwise softmax loss (the accepted pages' share of
 * exp(T × score) over the candidates, T = 10), L2 penalty λ on the weights, plain
 * gradient descent from zero (600 steps of 0.05). Questions without an accepted candidate are left out.
 */
function fitSoftmax(qs: Question[], lambda: number, only: readonly FeatureName[] = FEATURES): number[] {
  const T = 10;
  const mask = FEATURES.map((n) => (only.includes(n) ? 1 : 0));
  const data = qs.flatMap((q) => {
    const c = cands.get(q.id)!;
    const pos = c.ids.map((id) => q.accepted.includes(ids.get(id) ?? id));
    return pos.some(Boolean) ? [{ c, pos }] : [];
  });
  const w = FEATURES.map(() => 0);
  for (let it = 0; it < 600; it++) {
    const g = FEATURES.map((_, j) => 2 * lambda * w[j]!);
    for (const { c, pos } of data) {
      const s = c.ids.map((_, i) => T * (c.fused[i]! + c.x[i]!.reduce((a, v, j) => a + v * w[j]!, 0)));
      const m = Math.max(...s);
      const e = s.map((x) => Math.exp(x - m));
      const z = e.reduce((a, x) => a + x, 0);
      const zp = e.reduce((a, x, i) => a + (pos[i] ? x : 0), 0);
      // d(-log zp/z)/ds_i = p_i - q_i, p = softmax over all, q = softmax over the accepted.
      c.ids.forEach((_, i) => {
        const d = T * (e[i]! / z - (pos[i] ? e[i]! / zp : 0));
        for (let j = 0; j < w.length; j++) g[j]! += (d * c.x[i]![j]!) / data.length;
      });
    }
    // Step 0.05: the loss's curvature is about T² × var(x) ≈ 3, so larger steps oscillate.
    for (let j = 0; j < w.length; j++) w[j]! -= 0.05 * g[j]! * mask[j]!;
  }
  return w.map((x) => Math.round(x * 1000) / 1000);
}

interface Row { name: string; all: number[]; para: number[] }
function summarise(name: string, scored: Array<{ q: Question; s: ReturnType<typeof scoreOne> }>): Row {
  const agg = (xs: typeof scored) => [xs.filter((x) => x.s.success1).length, xs.filter((x) => x.s.success5).length, xs.reduce((a, x) => a + x.s.mrr10, 0) / Math.max(1, xs.length), xs.length];
  return { name, all: agg(scored), para: agg(scored.filter((x) => x.q.kind === "paraphrase")) };
}
const fmt = (r: Row) => {
  const [s1, s5, mrr, n] = r.all;
  const [, p5, , pn] = r.para;
  const pct = (k: number, of: number) => `${((100 * k) / of).toFixed(1)}`;
  return `| ${r.name} | ${pct(s1!, n!)} (${s1}) | ${pct(s5!, n!)} (${s5}) | ${pct(p5!, pn!)} (${p5}) | ${mrr!.toFixed(3)} |`;
};
const wStr = (w: number[]) => FEATURES.map((n, j) => (w[j] ? `${n} ${w[j]}` : "")).filter(Boolean).join(", ") || "none";

const zero = FEATURES.map(() => 0);
const even = evalQs.filter((_, i) => i % 2 === 0);
const odd = evalQs.filter((_, i) => i % 2 === 1);
const rows: string[] = [];
const notes: string[] = [];
const setups: Array<[string, readonly FeatureName[]]> = [
  ["all features", FEATURES],
  ["text only (title, heading, passage, near, phrase)", ["titleShare", "headingShare", "bestPassageShare", "nearShare", "phraseShare", "allNear"]],
  ["scores only (coverage, keyword, cosines, passage BM25, rank)", ["coverage", "keyword", "semantic", "bestCosine", "titleCosine", "passageBm25", "keywordRank"]],
];
rows.push(fmt(summarise("hybrid now", per(evalQs, zero))));
// Weights fitted on the whole manual's folds (written by a --pages 1169 --questions all run), applied here to
// the same-parity held-out fold: a check on another corpus with more fitting questions than this slice has.
const wholeFile = path.join(os.tmpdir(), `alexandria-rerank-probe-weights-d${depth}.json`);
const fitted: Record<string, { odd: number[]; even: number[] }> = {};
const fromWhole = nPages !== 1169 && existsSync(wholeFile) ? (JSON.parse(readFileSync(wholeFile, "utf8")) as typeof fitted) : {};
for (const [label, only] of setups) {
  const wDev = fit(devQs, only);
  rows.push(fmt(summarise(`${label}: fitted on dev`, per(evalQs, wDev))));
  const wOdd = fit([...odd, ...devQs], only);
  const wEven = fit([...even, ...devQs], only);
  rows.push(fmt(summarise(`${label}: 2-fold (fit odd+dev → even, even+dev → odd)`, [...per(even, wOdd), ...per(odd, wEven)])));
  fitted[`${label} grid`] = { odd: wOdd, even: wEven };
  rows.push(fmt(summarise(`${label}: fitted on all (in-sample, optimistic)`, per(evalQs, fit([...evalQs, ...devQs], only)))));
  notes.push(`${label}: dev → ${wStr(wDev)}; odd+dev → ${wStr(wOdd)}; even+dev → ${wStr(wEven)}`);
  for (const lambda of [1, 0.1, 0.01]) {
    const sOdd = fitSoftmax([...odd, ...devQs], lambda, only);
    const sEven = fitSoftmax([...even, ...devQs], lambda, only);
    rows.push(fmt(summarise(`${label}: softmax λ ${lambda}, fitted on dev`, per(evalQs, fitSoftmax(devQs, lambda, only)))));
    rows.push(fmt(summarise(`${label}: softmax λ ${lambda}, 2-fold`, [...per(even, sOdd), ...per(odd, sEven)])));
    notes.push(`${label}, softmax λ ${lambda}: odd+dev → ${wStr(sOdd)}; even+dev → ${wStr(sEven)}`);
    fitted[`${label} softmax λ ${lambda}`] = { odd: sOdd, even: sEven };
  }
}
// Nested: the configuration (feature set × fitter) chosen by a 2-fold split of the fitting questions alone,
// then fitted on all of them, so that nothing about the held-out fold decides what is applied to it.
type Fitter = (qs: Question[]) => number[];
const configs: Array<[string, Fitter]> = setups.flatMap(([label, only]) => [
  [`${label} grid`, (qs: Question[]) => fit(qs, only)] as [string, Fitter],
  ...[1, 0.1, 0.01].map((lambda) => [`${label} softmax λ ${lambda}`, (qs: Question[]) => fitSoftmax(qs, lambda, only)] as [string, Fitter]),
]);
function nested(train: Question[]): { name: string; w: number[] } {
  const a = train.filter((_, i) => i % 2 === 0);
  const b = train.filter((_, i) => i % 2 === 1);
  let best = { name: "none", w: zero, o: objective(train, zero) };
  for (const [name, fitter] of configs) {
    const o = objective(b, fitter(a)) + objective(a, fitter(b));
    if (o > best.o) best = { name, w: fitter(train), o };
  }
  return best;
}
const nOdd = nested([...odd, ...devQs]);
const nEven = nested([...even, ...devQs]);
rows.push(fmt(summarise(`nested: configuration chosen inside each fold (odd+dev → ${nOdd.name}; even+dev → ${nEven.name})`, [...per(even, nOdd.w), ...per(odd, nEven.w)])));
notes.push(`nested: odd+dev → ${wStr(nOdd.w)}; even+dev → ${wStr(nEven.w)}`);
fitted["nested"] = { odd: nOdd.w, even: nEven.w };
if (nPages === 1169 && values.questions === "all") writeFileSync(wholeFile, JSON.stringify(fitted));
for (const [name, w] of Object.entries(fromWhole)) rows.push(fmt(summarise(`${name}: fitted on the whole manual's other fold`, [...per(even, w.odd), ...per(odd, w.even)])));
if (values.time) {
  // What the one feature the search lacks would cost: the best passage BM25 of the first `depth` hybrid hits,
  // the query the keyword snippets already run (searchSnippets.ts), over those hits only.
  const stack = await startLocalStack({
    routeOverrides: instantTimings(),
    workers: false,
    env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `rerank${process.pid}`, EMBEDDER: "encoder", CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR, REDIS_URL: undefined },
  });
  const took: number[] = [];
  for (let round = 0; round < 2; round++) {
    for (const q of evalQs) {
      const match = contentTerms(parseQuery(normalizeQuery(q.question))).map(termExpression).join(" OR ");
      const list = sql.join(cands.get(q.id)!.ids.map((id) => sql`${id}`), sql`, `);
      const t0 = performance.now();
      const rows = await stack.app.store.db.all<{ id: string; s: number }>(sql`SELECT p.resource_id AS id, -bm25(passages_fts, 4.0, 1.0) AS s FROM passages_fts f CROSS JOIN passages p ON p.id = f.rowid
        WHERE passages_fts MATCH ${match} AND p.resource_id IN (${list})`);
      const best = new Map<string, number>();
      for (const r of rows) best.set(r.id, Math.max(best.get(r.id) ?? 0, Number(r.s)));
      if (round === 1) took.push(performance.now() - t0);
    }
  }
  took.sort((a, b) => a - b);
  notes.push(`best passage BM25 of the first ${depth} hits: p50 ${took[Math.floor(took.length / 2)]!.toFixed(2)} ms, p90 ${took[Math.floor(took.length * 0.9)]!.toFixed(2)} ms per question (load ${os.loadavg()[0]!.toFixed(1)})`);
  await stack.stop();
}
const ms = [...allQs.keys()].map((id) => text[id]!.ms).sort((a, b) => a - b);
process.stdout.write(
  `${ids.size} pages, ${evalQs.length} questions (${evalQs.filter((q) => q.kind === "paraphrase").length} paraphrases), ${devQs.length} development questions, depth ${depth}\n` +
    `dev hybrid now: ${fmt(summarise("dev", per(devQs, zero)))}\n` +
    `text features' FTS queries over the whole corpus: p50 ${ms[Math.floor(ms.length / 2)]!.toFixed(1)} ms, p90 ${ms[Math.floor(ms.length * 0.9)]!.toFixed(1)} ms per question\n\n` +
    `| re-ranker | s@1 % (n) | s@5 % (n) | s@5 paraphrase % (n) | MRR@10 |\n|---|---|---|---|---|\n${rows.join("\n")}\n\n${notes.join("\n")}\n`,
);
process.exit(0);
