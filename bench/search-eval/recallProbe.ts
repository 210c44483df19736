/**
 * `npx tsx bench/search-eval/recallProbe.ts [--pages 303|1169] [--questions 80|all]`:
 * measures two recall ideas of issue 16 on the store `npm run bench:search-latency`
 * kept, beside the current hybrid (docs/search.md, "Tuning the hybrid"). Run
 * `tuneRanking.ts` first: this reads its per-question features (tune-features.json).
 *
 * 1. Meaning-aware expansion of the keyword side: the corpus vocabulary (words
 *    in two resources or more) embedded once with the serving encoder; each
 *    content word of a question adds its nearest vocabulary words (cosine ≥ θ,
 *    top k, not the same FTS term) as lower-weight OR terms. FTS5's bm25() of
 *    an OR query is the sum of its terms' contributions, so each expansion
 *    word's per-resource BM25 is read once and variants weight them offline.
 * 2. Several query vectors: the question and its content words alone, each
 *    scanned, a document scored by the better of the two (or their mean).
 *
 * 3. (question-level) The vocabulary words nearest the whole question's vector, added the same way.
 *
 * Vectors and BM25 per word are cached in $TMPDIR/alexandria-recall-probe-<pages>*.json
 * (--refresh to recompute). PROBE_ONLY=<text>: only the variants whose name
 * contains it; PROBE_SHOW=<n>: the expansions of the first n questions.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { type Ranked, dot, fuseServed as fuse, normalise, top } from "./rankingMath";
import { openKeptStore } from "./keptStore";

process.env.LOG_LEVEL ??= "silent";
const { startLocalStack } = await import("@local/stack");
const { instantTimings } = await import("@shared/events/routing");
const { servingEmbedder } = await import("@shared/app/embedderSwitch");
const { contentTerms, parseQuery, normalizeQuery, matchWords } = await import("@shared/domain/ftsQuery");
const { ENGLISH_STOPWORDS } = await import("@shared/domain/text");
const { DOCS_DIR, QUESTIONS } = await import("../searchEval");
const { scoreRankings } = await import("../lib/searchMetrics");

const { values } = parseArgs({ options: { pages: { type: "string", default: "303" }, questions: { type: "string", default: "80" }, refresh: { type: "boolean", default: false } } });
const store = openKeptStore(DOCS_DIR, values.pages);
const { dataDir, ids, pages: nPages } = store;
const answerable = store.answerable(QUESTIONS);
const questions = store.answerable(QUESTIONS, values.questions);

interface Base {
  bm25: Array<Record<string, number>>;
  matched: Record<string, number>;
  terms: number;
}
const base = JSON.parse(readFileSync(path.join(dataDir, "tune-features.json"), "utf8")) as Record<string, Base>;

/** What this probe adds per question. */
interface Extra {
  /** Content words (kind "word") with their FTS term. */
  words: Array<{ word: string; term: string }>;
  /** Per content word: nearest vocabulary words (other FTS term), best first. */
  near: Array<Array<{ word: string; term: string; cos: number }>>;
  /** Per resource: semantic similarity (mean of best 3) to the question, to its content words, and per vector max of the two. */
  semQ: Record<string, number>;
  semC: Record<string, number>;
  semMax: Record<string, number>;
}
interface Cache {
  extra: Record<string, Extra>;
  /** Word → resource id → single-term BM25 (8/3/1). */
  wordBm25: Record<string, Record<string, number>>;
  /** Words in the vocabulary. */
  vocabSize: number;
  seconds: { vocabEmbed: number };
}
const cacheFile = path.join(os.tmpdir(), `alexandria-recall-probe-${nPages}.json`);
const vocabFile = path.join(os.tmpdir(), `alexandria-recall-probe-${nPages}-vocab.json`);
const queryNearFile = path.join(os.tmpdir(), `alexandria-recall-probe-${nPages}-qnear.json`);

const stack = await startLocalStack({
  routeOverrides: instantTimings(),
  workers: false,
  env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `probe${process.pid}`, EMBEDDER: "encoder", CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR, REDIS_URL: undefined },
});
const ctx = stack.app;
const embedder = (await servingEmbedder(ctx))!;

const fresh = existsSync(cacheFile) && statSync(cacheFile).mtimeMs > statSync(path.join(dataDir, "bench-ids.json")).mtimeMs;
let cache: Cache;
if (fresh && !values.refresh) {
  cache = JSON.parse(readFileSync(cacheFile, "utf8")) as Cache;
} else {
  cache = { extra: {}, wordBm25: {}, vocabSize: 0, seconds: { vocabEmbed: 0 } };
  // Vocabulary: words (letters only, 3+) of at least two resources.
  const df = new Map<string, number>();
  for (const r of await ctx.store.db.all<{ t: string }>(sql`SELECT title || ' ' || coalesce(description, '') || ' ' || body AS t FROM resources_fts`)) {
    const seen = new Set<string>();
    for (const m of r.t.toLowerCase().matchAll(/\b[a-z]{3,}\b/g)) seen.add(m[0]);
    for (const w of seen) df.set(w, (df.get(w) ?? 0) + 1);
  }
  const vocab = [...df].filter(([w, n]) => n >= 2 && !ENGLISH_STOPWORDS.has(w)).map(([w]) => w).sort();
  cache.vocabSize = vocab.length;
  const termOf = new Map<string, string>();
  for (let i = 0; i < vocab.length; i += 500) {
    const counts = await ctx.store.terms.countsOf(vocab.slice(i, i + 500));
    counts.forEach((c, j) => termOf.set(vocab[i + j]!, [...c.keys()][0] ?? vocab[i + j]!));
  }
  const t0 = performance.now();
  const vv: Float32Array[] = [];
  for (let i = 0; i < vocab.length; i += 256) for (const v of await embedder.embed(vocab.slice(i, i + 256))) vv.push(Float32Array.from(v));
  cache.seconds.vocabEmbed = (performance.now() - t0) / 1000;
  writeFileSync(vocabFile, JSON.stringify({ vocab, terms: vocab.map((w) => termOf.get(w)), vectors: vv.map((v) => Array.from(v, (x) => Math.round(x * 1e5) / 1e5)) }));
  process.stderr.write(`vocabulary ${vocab.length} words embedded in ${cache.seconds.vocabEmbed.toFixed(1)} s\n`);

  // All passage vectors, per resource (title first).
  const docVectors = new Map<string, Float32Array[]>();
  const rows = await ctx.store.db.all<{ resource_id: string; vector: Uint8Array | ArrayBuffer }>(sql`SELECT resource_id, vector FROM passage_vectors WHERE model = ${embedder.id}`);
  for (const r of rows) {
    const bytes = r.vector instanceof Uint8Array ? r.vector : new Uint8Array(r.vector);
    const v = normalise(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
    const list = docVectors.get(r.resource_id) ?? [];
    list.push(v);
    docVectors.set(r.resource_id, list);
  }
  const wanted = new Set<string>();
  for (const question of answerable) {
    const q = normalizeQuery(question.question);
    const words = contentTerms(parseQuery(q)).flatMap((t) => (t.kind === "word" ? [t.word] : []));
    const counts = await ctx.store.terms.countsOf(words);
    const wt = words.map((word, i) => ({ word, term: [...counts[i]!.keys()][0] ?? word }));
    const own = new Set(wt.map((w) => w.term));
    const wv = words.length ? await embedder.embed(words) : [];
    const near = wt.map((_, i) => {
      const x = normalise(Float32Array.from(wv[i]!));
      const best: Array<{ word: string; term: string; cos: number }> = [];
      vv.forEach((v, j) => {
        const c = dot(x, v);
        if (c >= 0.55 && !own.has(termOf.get(vocab[j]!)!)) best.push({ word: vocab[j]!, term: termOf.get(vocab[j]!)!, cos: c });
      });
      best.sort((a, b) => b.cos - a.cos);
      // One entry per FTS term (the closest spelling).
      const byTerm = new Map<string, (typeof best)[number]>();
      for (const b of best) if (!byTerm.has(b.term)) byTerm.set(b.term, b);
      return [...byTerm.values()].slice(0, 8);
    });
    for (const list of near) for (const n of list) wanted.add(n.word);
    const [qv, cv] = await embedder.embed([q.replace(/["*]/g, ""), matchWords(q).join(" ") || q]);
    const a = normalise(Float32Array.from(qv!));
    const b = normalise(Float32Array.from(cv!));
    const semQ: Record<string, number> = {};
    const semC: Record<string, number> = {};
    const semMax: Record<string, number> = {};
    for (const [id, list] of docVectors) {
      const ca = list.map((v) => dot(a, v));
      const cb = list.map((v) => dot(b, v));
      semQ[id] = top3(ca);
      semC[id] = top3(cb);
      semMax[id] = top3(ca.map((x, i) => Math.max(x, cb[i]!)));
    }
    cache.extra[question.id] = { words: wt, near, semQ, semC, semMax };
  }
  for (const word of wanted) {
    const r = await ctx.store.db.all<{ id: string; s: number }>(sql`SELECT resource_id AS id, -bm25(resources_fts, 0.0, 8.0, 3.0, 1.0) AS s FROM resources_fts WHERE resources_fts MATCH ${`"${word}"`}`);
    cache.wordBm25[word] = Object.fromEntries(r.map((x) => [x.id, Number(x.s)]));
  }
  writeFileSync(cacheFile, JSON.stringify(cache));
}

/** Per question: the vocabulary words nearest the whole question's vector (not its own terms), and their BM25. */
interface QueryNear { near: Record<string, Array<{ word: string; cos: number }>>; wordBm25: Record<string, Record<string, number>> }
let qnear: QueryNear;
if (existsSync(queryNearFile) && statSync(queryNearFile).mtimeMs > statSync(cacheFile).mtimeMs && !values.refresh) {
  qnear = JSON.parse(readFileSync(queryNearFile, "utf8")) as QueryNear;
} else {
  const v = JSON.parse(readFileSync(vocabFile, "utf8")) as { vocab: string[]; terms: string[]; vectors: number[][] };
  const vv = v.vectors.map((x) => normalise(Float32Array.from(x)));
  qnear = { near: {}, wordBm25: {} };
  for (const question of answerable) {
    const q = normalizeQuery(question.question);
    const own = new Set(cache.extra[question.id]!.words.map((w) => w.term));
    const [qv] = await embedder.embed([q.replace(/["*]/g, "")]);
    const a = normalise(Float32Array.from(qv!));
    const scored = vv.map((x, j) => ({ word: v.vocab[j]!, term: v.terms[j]!, cos: dot(a, x) })).filter((x) => !own.has(x.term)).sort((x, y) => y.cos - x.cos);
    const byTerm = new Map<string, { word: string; cos: number }>();
    for (const x of scored) {
      if (byTerm.size >= 10) break;
      if (!byTerm.has(x.term)) byTerm.set(x.term, { word: x.word, cos: x.cos });
    }
    qnear.near[question.id] = [...byTerm.values()];
  }
  const wanted = new Set(Object.values(qnear.near).flatMap((l) => l.map((x) => x.word)));
  for (const word of wanted) {
    const r = await ctx.store.db.all<{ id: string; s: number }>(sql`SELECT resource_id AS id, -bm25(resources_fts, 0.0, 8.0, 3.0, 1.0) AS s FROM resources_fts WHERE resources_fts MATCH ${`"${word}"`}`);
    qnear.wordBm25[word] = Object.fromEntries(r.map((x) => [x.id, Number(x.s)]));
  }
  writeFileSync(queryNearFile, JSON.stringify(qnear));
}

function top3(c: number[]): number {
  const s = [...c].sort((x, y) => y - x).slice(0, 3);
  return s.reduce((x, y) => x + y, 0) / s.length;
}


interface Expansion { theta: number; k: number; lambda: number; alpha: number; scaleByCos?: boolean }
/** The keyword side: BM25 × (0.5 + coverage), optionally with expansion words. */
function keywordSide(qid: string, e?: Expansion): Ranked {
  const f = base[qid]!;
  const x = cache.extra[qid]!;
  const m = new Map<string, number>();
  const bm = new Map(Object.entries(f.bm25[0]!));
  const viaExpansion = new Map<string, number>();
  if (e) {
    x.near.forEach((list) => {
      const chosen = list.filter((n) => n.cos >= e.theta).slice(0, e.k);
      const covered = new Set<string>();
      for (const n of chosen) {
        for (const [id, s] of Object.entries(cache.wordBm25[n.word] ?? {})) {
          bm.set(id, (bm.get(id) ?? 0) + e.lambda * (e.scaleByCos ? n.cos : 1) * s);
          covered.add(id);
        }
      }
      // A resource covers the word through an expansion only when it lacks the word itself (approximated: counted once per word).
      for (const id of covered) viaExpansion.set(id, (viaExpansion.get(id) ?? 0) + 1);
    });
  }
  for (const [id, s] of bm) {
    const own = f.matched[id] ?? 0;
    const extra = e ? Math.min(viaExpansion.get(id) ?? 0, Math.max(0, f.terms - own)) * e.alpha : 0;
    const cov = f.terms <= 1 ? 1 : Math.min(1, (own + extra) / f.terms);
    m.set(id, s * (0.5 + cov));
  }
  return top(m);
}
const mean = (a: Record<string, number>, b: Record<string, number>, wb: number) => Object.fromEntries(Object.entries(a).map(([id, s]) => [id, (1 - wb) * s + wb * (b[id] ?? s)]));
const maxOf = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([id, s]) => [id, Math.max(s, b[id] ?? s)]));

type Variant = [string, (qid: string) => Ranked];
const variants: Variant[] = [
  ["keyword (now)", (q) => keywordSide(q)],
  ["semantic (now: question vector, mean of best 3)", (q) => top(cache.extra[q]!.semQ)],
  ["hybrid (now)", (q) => fuse(keywordSide(q), top(cache.extra[q]!.semQ))],
  ["semantic: content-words vector alone", (q) => top(cache.extra[q]!.semC)],
  ["semantic: max of the two documents' similarities", (q) => top(maxOf(cache.extra[q]!.semQ, cache.extra[q]!.semC))],
  ["semantic: per vector max of the two, mean of best 3", (q) => top(cache.extra[q]!.semMax)],
  ["semantic: mean of the two (0.5)", (q) => top(mean(cache.extra[q]!.semQ, cache.extra[q]!.semC, 0.5))],
  ["semantic: question 0.7 + words 0.3", (q) => top(mean(cache.extra[q]!.semQ, cache.extra[q]!.semC, 0.3))],
  ["hybrid, semantic max of the two", (q) => fuse(keywordSide(q), top(maxOf(cache.extra[q]!.semQ, cache.extra[q]!.semC)))],
  ["hybrid, semantic per vector max", (q) => fuse(keywordSide(q), top(cache.extra[q]!.semMax))],
  ["hybrid, semantic mean of the two", (q) => fuse(keywordSide(q), top(mean(cache.extra[q]!.semQ, cache.extra[q]!.semC, 0.5)))],
  ["hybrid, semantic question 0.7 + words 0.3", (q) => fuse(keywordSide(q), top(mean(cache.extra[q]!.semQ, cache.extra[q]!.semC, 0.3)))],
];
for (const theta of [0.6, 0.65, 0.7, 0.75, 0.8]) {
  for (const k of [1, 3, 5]) {
    for (const lambda of [0.25, 0.5]) {
      for (const alpha of [0, 0.5]) {
        const e: Expansion = { theta, k, lambda, alpha };
        variants.push([`keyword + expansion θ ${theta} k ${k} λ ${lambda} α ${alpha}`, (q) => keywordSide(q, e)]);
        variants.push([`hybrid, keyword + expansion θ ${theta} k ${k} λ ${lambda} α ${alpha}`, (q) => fuse(keywordSide(q, e), top(cache.extra[q]!.semQ))]);
      }
    }
  }
}
interface QueryExpansion { k: number; theta: number; lambda: number }
function keywordQueryExpanded(qid: string, e: QueryExpansion): Ranked {
  const f = base[qid]!;
  const bm = new Map(Object.entries(f.bm25[0]!));
  const cov = new Map<string, number>();
  for (const [id] of bm) cov.set(id, f.terms <= 1 ? 1 : (f.matched[id] ?? 0) / f.terms);
  for (const n of (qnear.near[qid] ?? []).filter((x) => x.cos >= e.theta).slice(0, e.k)) {
    for (const [id, s] of Object.entries(qnear.wordBm25[n.word] ?? {})) {
      bm.set(id, (bm.get(id) ?? 0) + e.lambda * s);
      if (!cov.has(id)) cov.set(id, 0);
    }
  }
  const m = new Map<string, number>();
  for (const [id, s] of bm) m.set(id, s * (0.5 + cov.get(id)!));
  return top(m);
}
for (const theta of [0, 0.4, 0.5]) {
  for (const k of [1, 2, 3, 5, 10]) {
    for (const lambda of [0.1, 0.25, 0.5]) {
      const e = { k, theta, lambda };
      variants.push([`keyword + question-level expansion θ ${theta} k ${k} λ ${lambda}`, (q) => keywordQueryExpanded(q, e)]);
      variants.push([`hybrid, keyword + question-level expansion θ ${theta} k ${k} λ ${lambda}`, (q) => fuse(keywordQueryExpanded(q, e), top(cache.extra[q]!.semQ))]);
    }
  }
}
if (process.env.PROBE_SHOW) {
  for (const q of questions.slice(0, Number(process.env.PROBE_SHOW))) {
    const x = cache.extra[q.id]!;
    process.stdout.write(`${q.question} ⇒ ${(qnear.near[q.id] ?? []).slice(0, 6).map((n) => `${n.word} ${n.cos.toFixed(2)}`).join(", ")}\n`);
    process.stdout.write(`${q.question}: ${x.words.map((w, i) => `${w.word} → ${x.near[i]!.slice(0, 4).map((n) => `${n.word} ${n.cos.toFixed(2)}`).join(", ")}`).join(" | ")}\n`);
  }
}
const only = (process.env.PROBE_ONLY ?? "").trim();
const table: string[] = ["| variant | s@1 | s@5 | s@5 easy | s@5 paraphrase | MRR@10 | nDCG@10 | s@20 |", "|---|---|---|---|---|---|---|---|"];
for (const [name, rank] of variants) {
  if (only && !name.includes(only) && !name.includes("now")) continue;
  const rankings = new Map<string, string[]>();
  let within20 = 0;
  for (const q of questions) {
    const pages = rank(q.id).slice(0, 20).map((r) => ids.get(r.id) ?? r.id);
    if (pages.some((page) => q.accepted.includes(page))) within20++;
    rankings.set(q.id, pages.slice(0, 10));
  }
  const m = scoreRankings(questions, rankings);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  table.push(`| ${name} | ${pct(m.all.success1)} | ${pct(m.all.success5)} | ${pct(m.easy.success5)} | ${pct(m.paraphrase.success5)} | ${m.all.mrr10.toFixed(3)} | ${m.all.ndcg10.toFixed(3)} | ${pct(within20 / questions.length)} |`);
}
process.stdout.write(`${ids.size} pages, ${questions.length} questions (${questions.filter((q) => q.kind === "paraphrase").length} paraphrases); vocabulary ${cache.vocabSize} words, embedded in ${cache.seconds.vocabEmbed.toFixed(1)} s\n\n${table.join("\n")}\n`);
await stack.stop();
process.exit(0);
