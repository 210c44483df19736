/**
 * `npx tsx bench/search-eval/embedProbe.ts [--pages 303|1169] [--questions 80|all] [--budget <s>]`:
 * measures what is embedded per passage (issue 16, docs/search.md "What to
 * embed") on the store `npm run bench:search-latency` kept: the stored vectors
 * (title + "heading. passage" cut to 32 tokens) against the same passages cut
 * to 64 tokens, and extra vectors of the section headings alone, scored with
 * the search's arithmetic (mean of the best 3 cosines, fused with the keyword
 * side at 0.7). Run `tuneRanking.ts` first (its tune-features.json holds the
 * keyword features and query vectors). Re-embedding is resumable: each run
 * embeds for at most --budget seconds (default 420) and keeps what it made in
 * $TMPDIR/alexandria-embed-probe-<pages>-*.bin; the table is printed once all is embedded.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { createSentenceEncoder } from "@shared/adapters/embedders/sentenceEncoder";
import { headingForMeaning } from "@shared/domain/passages";
import { DOCS_DIR, QUESTIONS } from "../searchEval";
import { scoreRankings } from "../lib/searchMetrics";
import { type Ranked, dot, fuseServed as fuse, normalise, top } from "./rankingMath";
import { openKeptStore } from "./keptStore";

const { values } = parseArgs({ options: { pages: { type: "string", default: "303" }, questions: { type: "string", default: "80" }, budget: { type: "string", default: "420" }, tokens: { type: "string", default: "64" } } });
const store = openKeptStore(DOCS_DIR, values.pages);
const { dataDir, ids, pages: nPages } = store;
const questions = store.answerable(QUESTIONS, values.questions);
const features = JSON.parse(readFileSync(path.join(dataDir, "tune-features.json"), "utf8")) as Record<string, { bm25: Array<Record<string, number>>; matched: Record<string, number>; terms: number; vector: number[] }>;
const D = 512;
const cutTokens = Number(values.tokens);

const db = createClient({ url: `file:${path.join(dataDir, "alexandria.db")}` });
const passageRows = (await db.execute(`SELECT p.resource_id AS rid, p.ordinal AS ord, f.heading AS heading, f.body AS body FROM passages p JOIN passages_fts f ON f.rowid = p.id ORDER BY p.id`)).rows;
const model = String((await db.execute(`SELECT DISTINCT model FROM passage_vectors`)).rows[0]!.model);
const stored = new Map<string, Float32Array>();
for (const r of (await db.execute({ sql: `SELECT resource_id AS rid, ordinal AS ord, vector FROM passage_vectors WHERE model = ?`, args: [model] })).rows) {
  const b = r.vector as ArrayBuffer;
  stored.set(`${String(r.rid)}:${Number(r.ord)}`, normalise(new Float32Array(b.slice(0))));
}

const texts = passageRows.map((r) => {
  const h = headingForMeaning(String(r.heading ?? ""));
  return h ? `${h}. ${String(r.body)}` : String(r.body);
});
const short = createSentenceEncoder();
const long = createSentenceEncoder({ maxTokens: cutTokens });
// Passages whose text fits in 32 tokens have the same vector at any longer cut: reuse the stored one.
const needs = texts.map((t) => short.tokenize(t).length < long.tokenize(t).length);
const longFile = path.join(os.tmpdir(), `alexandria-embed-probe-${nPages}-${cutTokens}.bin`);
const doneFile = `${longFile}.done.json`;
const longVectors = existsSync(longFile) ? new Float32Array(readFileSync(longFile).buffer.slice(0)) : new Float32Array(texts.length * D);
const done: boolean[] = existsSync(doneFile) ? (JSON.parse(readFileSync(doneFile, "utf8")) as boolean[]) : texts.map((_, i) => !needs[i]);
const todo = done.flatMap((d, i) => (d ? [] : [i]));
const tokenTotal = { short: 0, long: 0 };
for (const t of texts) {
  tokenTotal.short += short.tokenize(t).length;
  tokenTotal.long += long.tokenize(t).length;
}
process.stderr.write(`${texts.length} passages, ${needs.filter(Boolean).length} longer than 32 tokens; tokens ${tokenTotal.short} → ${tokenTotal.long}; ${todo.length} left to embed\n`);
const t0 = performance.now();
let embeddedNow = 0;
for (let i = 0; i < todo.length && performance.now() - t0 < Number(values.budget) * 1000; i += 256) {
  const chunk = todo.slice(i, i + 256);
  const vs = await long.embed(chunk.map((j) => texts[j]!));
  chunk.forEach((j, k) => {
    longVectors.set(vs[k]!, j * D);
    done[j] = true;
  });
  embeddedNow += chunk.length;
  writeFileSync(longFile, Buffer.from(longVectors.buffer));
  writeFileSync(doneFile, JSON.stringify(done));
}
const seconds = (performance.now() - t0) / 1000;
process.stderr.write(`embedded ${embeddedNow} passages at ${cutTokens} tokens in ${seconds.toFixed(1)} s (${(embeddedNow / Math.max(seconds, 1e-9)).toFixed(1)}/s)\n`);

// Headings alone: one vector per distinct heading of a resource.
const headFile = path.join(os.tmpdir(), `alexandria-embed-probe-${nPages}-headings.json`);
let headings: Record<string, number[][]>;
if (existsSync(headFile)) headings = JSON.parse(readFileSync(headFile, "utf8")) as Record<string, number[][]>;
else {
  const pairs = new Map<string, { rid: string; h: string }>();
  for (const r of passageRows) {
    const h = headingForMeaning(String(r.heading ?? ""));
    if (h) pairs.set(`${String(r.rid)}\u0000${h}`, { rid: String(r.rid), h });
  }
  const list = [...pairs.values()];
  const th = performance.now();
  const vs: Float32Array[] = [];
  for (let i = 0; i < list.length; i += 256) vs.push(...(await short.embed(list.slice(i, i + 256).map((p) => p.h))));
  process.stderr.write(`${list.length} headings embedded in ${((performance.now() - th) / 1000).toFixed(1)} s\n`);
  headings = {};
  list.forEach((p, i) => (headings[p.rid] ??= []).push(Array.from(vs[i]!)));
  writeFileSync(headFile, JSON.stringify(headings));
}
await short.close();
await long.close();
if (done.some((d) => !d)) {
  process.stdout.write(`not all embedded yet (${done.filter((d) => !d).length} left): run again\n`);
  process.exit(0);
}

// Vector sets per resource.
const title = new Map<string, Float32Array>();
const p32 = new Map<string, Float32Array[]>();
const pLong = new Map<string, Float32Array[]>();
for (const [key, v] of stored) {
  const [rid, ord] = key.split(":") as [string, string];
  if (Number(ord) === -1) title.set(rid, v);
}
passageRows.forEach((r, i) => {
  const rid = String(r.rid);
  const s = stored.get(`${rid}:${Number(r.ord)}`);
  if (s) (p32.get(rid) ?? p32.set(rid, []).get(rid)!).push(s);
  const l = needs[i] ? normalise(longVectors.slice(i * D, (i + 1) * D)) : s;
  if (l) (pLong.get(rid) ?? pLong.set(rid, []).get(rid)!).push(l);
});
const heads = new Map(Object.entries(headings).map(([rid, l]) => [rid, l.map((v) => normalise(Float32Array.from(v)))]));
const rids = [...new Set([...title.keys(), ...p32.keys()])];

function meanBest(c: number[], k = 3): number {
  const s = c.sort((a, b) => b - a).slice(0, k);
  return s.length ? s.reduce((a, b) => a + b, 0) / s.length : Number.NEGATIVE_INFINITY;
}

/** Per question, per resource: cosines of each vector set. */
interface Cos { title: number[]; p32: number[]; pLong: number[]; heads: number[] }
const cosines = new Map<string, Map<string, Cos>>();
for (const q of questions) {
  const qv = normalise(Float32Array.from(features[q.id]!.vector));
  const m = new Map<string, Cos>();
  for (const rid of rids) {
    const t = title.get(rid);
    m.set(rid, {
      title: t ? [dot(qv, t)] : [],
      p32: (p32.get(rid) ?? []).map((v) => dot(qv, v)),
      pLong: (pLong.get(rid) ?? []).map((v) => dot(qv, v)),
      heads: (heads.get(rid) ?? []).map((v) => dot(qv, v)),
    });
  }
  cosines.set(q.id, m);
}
function semantic(qid: string, pick: (c: Cos) => number[]): Ranked {
  const m = new Map<string, number>();
  for (const [rid, c] of cosines.get(qid)!) m.set(rid, meanBest(pick(c)));
  return top(m);
}
function keyword(qid: string): Ranked {
  const f = features[qid]!;
  const m = new Map<string, number>();
  for (const [id, s] of Object.entries(f.bm25[0]!)) m.set(id, s * (0.5 + (f.terms <= 1 ? 1 : (f.matched[id] ?? 0) / f.terms)));
  return top(m);
}
const sets: Array<[string, (c: Cos) => number[]]> = [
  ["title + passages 32 (now)", (c) => [...c.title, ...c.p32]],
  [`title + passages ${cutTokens}`, (c) => [...c.title, ...c.pLong]],
  [`title + passages 32 and ${cutTokens}`, (c) => [...c.title, ...c.p32, ...c.pLong]],
  [`title + per passage max(32, ${cutTokens})`, (c) => [...c.title, ...c.p32.map((x, i) => Math.max(x, c.pLong[i] ?? x))]],
  ["title + passages 32 + headings", (c) => [...c.title, ...c.p32, ...c.heads]],
  [`title + passages ${cutTokens} + headings`, (c) => [...c.title, ...c.pLong, ...c.heads]],
];
const table = ["| embedded | mode | s@1 | s@5 | s@5 easy | s@5 paraphrase | MRR@10 | nDCG@10 | s@20 |", "|---|---|---|---|---|---|---|---|---|"];
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
for (const [name, pick] of sets) {
  for (const mode of ["semantic", "hybrid"] as const) {
    const rankings = new Map<string, string[]>();
    let within20 = 0;
    for (const q of questions) {
      const sem = semantic(q.id, pick);
      const pages = (mode === "semantic" ? sem : fuse(keyword(q.id), sem)).slice(0, 20).map((r) => ids.get(r.id) ?? r.id);
      if (pages.some((page) => q.accepted.includes(page))) within20++;
      rankings.set(q.id, pages.slice(0, 10));
    }
    const m = scoreRankings(questions, rankings);
    table.push(`| ${name} | ${mode} | ${pct(m.all.success1)} | ${pct(m.all.success5)} | ${pct(m.easy.success5)} | ${pct(m.paraphrase.success5)} | ${m.all.mrr10.toFixed(3)} | ${m.all.ndcg10.toFixed(3)} | ${pct(within20 / questions.length)} |`);
  }
}
process.stdout.write(`${ids.size} pages, ${texts.length} passages, ${questions.length} questions (${questions.filter((q) => q.kind === "paraphrase").length} paraphrases); tokens embedded 32-cut ${tokenTotal.short}, ${cutTokens}-cut ${tokenTotal.long}\n\n${table.join("\n")}\n`);
process.exit(0);

