/**
 * Search quality and cost on the PostgreSQL 15 manual (issue 16, docs/search.md).
 *
 * Imports the manual's HTML pages through the real pipeline (POST /resources
 * with file: URLs; ingestion, search index, embedding and the rest run as
 * queued tasks), then asks every question of bench/search-eval/questions.json
 * in each mode, uncached (CACHE=off), and prints per mode success@1/@5, MRR@10,
 * nDCG@10 and query latency p50/p99, beside plain FTS5 BM25 over the same
 * stored pages. Also: import rate, how soon a page is keyword-searchable after
 * its ingestion, and the embedding cost.
 *
 * The import runs on `npm start`'s process model (the API process with its
 * queue server and one worker process per core, real route delays), as a
 * person importing the manual would run it; the questions are then asked in
 * process over the same store, with the API stopped (`search()`, no HTTP).
 * `--in-process` imports with the pollers inside the benchmark's process
 * instead (one event loop, no route delays), as before the worker model.
 *
 * `npm run eval:search [-- --quick] [-- --questions <file>] [-- --embedder encoder|lexical] [-- --in-process]`
 * `--quick`: the pages the first 80 questions accept plus 220 others (seeded), those 80 questions.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { startLocalStack, type LocalStack } from "@local/stack";
import { search, type SearchMode } from "@shared/app/search";
import { queryTokens } from "@shared/domain/ftsQuery";
import { instantTimings } from "@shared/events/routing";
import { seededRandom } from "@test/helpers/seededRandom";
import { repoRoot } from "@test/helpers/processes";
import { expectStatus, sleep } from "./lib/http";
import type { Benchmark, Figure } from "./lib/report";
import { startBenchNpmStart } from "./lib/npmStartStack";
import { startBenchStack } from "./lib/stack";
import { percentile, round } from "./lib/stats";
import { scoreRankings, type Metrics, type Question } from "./lib/searchMetrics";

export const DOCS_DIR = process.env.PG_DOCS_DIR ?? "/usr/share/doc/postgresql-doc-15/html";
export const QUESTIONS = path.join(repoRoot, "bench", "search-eval", "questions.json");
const MODES: SearchMode[] = ["keyword", "semantic", "hybrid"];

export interface SearchEvalOptions {
  quick: boolean;
  questionsFile?: string;
  embedder?: "encoder" | "lexical";
  /** Import with the pollers in this process (no worker processes, no route delays). */
  inProcess?: boolean;
}

/** Installs Debian's postgresql-doc-15 when the manual is missing (root, as on this project's machines). */
export function ensureManual(): void {
  if (existsSync(DOCS_DIR)) return;
  process.stdout.write("  installing postgresql-doc-15 with apt-get ...\n");
  for (const args of [["update"], ["install", "-y", "postgresql-doc-15"]]) {
    const r = spawnSync("apt-get", args, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (${r.status}); install postgresql-doc-15 or set PG_DOCS_DIR`);
  }
}

export function chooseWork(quick: boolean, questionsFile: string): { pages: string[]; questions: Question[] } {
  const all = JSON.parse(readFileSync(questionsFile, "utf8")) as Question[];
  const files = readdirSync(DOCS_DIR).filter((f) => f.endsWith(".html")).sort();
  if (!quick) return { pages: files, questions: all };
  const questions = all.slice(0, 80);
  const accepted = new Set(questions.flatMap((q) => q.accepted));
  const random = seededRandom(16);
  const others = files.filter((f) => !accepted.has(f)).sort(() => random() - 0.5).slice(0, 220);
  return { pages: [...accepted, ...others].filter((f) => files.includes(f)).sort(), questions };
}

interface ImportFigures {
  pages: number;
  wallSeconds: number;
  pagesPerSecond: number;
  /** From a page's ingestion (text stored) to its search index write. */
  searchableAfterIngestionMs: { p50: number; p99: number; max: number };
  embedding: { vectors: number; wallSeconds: number; passagesPerSecond: number; secondsPer1000Pages: number };
}

/** Where the import goes: the API's address and a client on its store. */
export interface ImportTarget {
  url: string;
  store: Client;
}

export async function importManual(stack: ImportTarget, pages: readonly string[]): Promise<{ ids: Map<string, string>; figures: ImportFigures }> {
  const ids = new Map<string, string>();
  const t0 = Date.now();
  // POST /resources/batch, 100 pages a request (one transaction each, as a client importing a folder would).
  for (let i = 0; i < pages.length; i += 100) {
    const chunk = pages.slice(i, i + 100);
    const res = await expectStatus<{ items: Array<{ id: string }> }>(202, stack.url, "POST", "/resources/batch", {
      items: chunk.map((file) => ({ url: `file://${path.join(DOCS_DIR, file)}` })),
    });
    res.body.items.forEach((item, j) => ids.set(item.id, chunk[j]!));
  }
  const client = stack.store;
  for (let last = ""; ; ) {
    const rs = await client.execute(`SELECT
      sum(ingestion_status = 'failed') AS failed,
      sum(ingestion_status = 'completed' AND indexed_revision >= revision AND embedded_revision >= content_revision) AS done,
      sum(indexed_revision >= revision AND ingestion_status = 'completed') AS indexed, count(*) AS n FROM resources`);
    const r = rs.rows[0]!;
    const [done, failed, n] = [Number(r.done), Number(r.failed), Number(r.n)];
    const line = `  imported ${Number(r.indexed)} indexed, ${done} embedded, ${failed} failed of ${n}`;
    if (line !== last && Date.now() - t0 > 0) process.stdout.write(`${line} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
    last = line;
    if (done + failed >= n) break;
    await sleep(5_000);
  }
  const wallSeconds = (Date.now() - t0) / 1000;
  const ledger = await client.execute(`SELECT task, resource_id AS id, finished_at AS fin, started_at AS st FROM task_runs WHERE status = 'succeeded' AND task IN ('ingestion', 'search-index', 'embedding')`);
  const finished = new Map<string, number>();
  let embedStart = Number.POSITIVE_INFINITY;
  let embedEnd = 0;
  for (const row of ledger.rows) {
    const key = `${String(row.task)}|${String(row.id)}`;
    finished.set(key, Math.max(finished.get(key) ?? 0, Date.parse(String(row.fin))));
    if (row.task === "embedding") {
      embedStart = Math.min(embedStart, Date.parse(String(row.st)));
      embedEnd = Math.max(embedEnd, Date.parse(String(row.fin)));
    }
  }
  const lags = [...ids.keys()].flatMap((id) => {
    const ingested = finished.get(`ingestion|${id}`);
    const indexed = finished.get(`search-index|${id}`);
    return ingested && indexed ? [Math.max(0, indexed - ingested)] : [];
  });
  const vectors = Number((await client.execute("SELECT count(*) AS n FROM passage_vectors")).rows[0]!.n);
  const embedSeconds = Math.max(0.001, (embedEnd - embedStart) / 1000);
  return {
    ids,
    figures: {
      pages: pages.length,
      wallSeconds: round(wallSeconds),
      pagesPerSecond: round(pages.length / wallSeconds),
      searchableAfterIngestionMs: { p50: round(percentile(lags, 50)), p99: round(percentile(lags, 99)), max: round(Math.max(...lags)) },
      embedding: {
        vectors,
        wallSeconds: round(embedSeconds),
        passagesPerSecond: round(vectors / embedSeconds),
        secondsPer1000Pages: round((embedSeconds / pages.length) * 1000),
      },
    },
  };
}

/** Plain FTS5 BM25 over the same stored pages (title + text), the question's words OR-ed: the baseline. */
async function bm25Baseline(stack: LocalStack, ids: Map<string, string>, questions: readonly Question[]) {
  const db = createClient({ url: ":memory:" });
  await db.execute("CREATE VIRTUAL TABLE pages USING fts5(file UNINDEXED, title, body, tokenize = 'porter unicode61 remove_diacritics 2')");
  const rows = await stack.app.store.client.execute("SELECT id, title, content FROM resources WHERE ingestion_status = 'completed'");
  await db.batch(
    rows.rows.map((r) => ({ sql: "INSERT INTO pages (file, title, body) VALUES (?, ?, ?)", args: [ids.get(String(r.id)) ?? "", r.title ?? null, r.content ?? null] })),
    "write",
  );
  const rankings = new Map<string, string[]>();
  const latencies: number[] = [];
  for (const q of questions) {
    const match = queryTokens(q.question).map((t) => `"${t}"`).join(" OR ");
    const t0 = performance.now();
    const rs = match ? await db.execute({ sql: "SELECT file FROM pages WHERE pages MATCH ? ORDER BY bm25(pages) LIMIT 10", args: [match] }) : { rows: [] };
    latencies.push(performance.now() - t0);
    rankings.set(q.id, rs.rows.map((r) => String(r.file)));
  }
  db.close();
  return { rankings, latencies };
}

async function askAll(stack: LocalStack, ids: Map<string, string>, questions: readonly Question[], mode: SearchMode) {
  const rankings = new Map<string, string[]>();
  const latencies: number[] = [];
  for (const q of questions) {
    const t0 = performance.now();
    const res = await search(stack.app, { q: q.question, mode, limit: 10, offset: 0 }, { count: false });
    latencies.push(performance.now() - t0);
    rankings.set(q.id, res.results.map((hit) => ids.get(hit.id) ?? hit.id));
  }
  return { rankings, latencies };
}

export interface ModeFigures extends Metrics {
  latencyMs: { p50: number; p99: number };
}

export async function runSearchEval(options: SearchEvalOptions) {
  ensureManual();
  const { pages, questions } = chooseWork(options.quick, options.questionsFile ?? QUESTIONS);
  const embedder = options.embedder ?? "encoder";
  process.stdout.write(`  ${pages.length} pages, ${questions.length} questions, EMBEDDER=${embedder}\n`);
  const env = { EMBEDDER: embedder, CACHE: "off", FILE_ALLOWED_DIRS: DOCS_DIR };
  const imported = options.inProcess ? await importInProcess(pages, env) : await importWithWorkers(pages, env);
  const { stack, ids, figures } = imported;
  try {
    const modes: Record<string, ModeFigures> = {};
    const measure = (name: string, r: { rankings: Map<string, string[]>; latencies: number[] }) => {
      modes[name] = { ...scoreRankings(questions, r.rankings), latencyMs: { p50: round(percentile(r.latencies, 50)), p99: round(percentile(r.latencies, 99)) } };
    };
    measure("bm25 baseline", await bm25Baseline(stack, ids, questions));
    // One pass first so that the encoder's thread is loaded and SQLite's pages are warm in every mode alike.
    await askAll(stack, ids, questions.slice(0, 5), "hybrid");
    for (const mode of MODES) measure(mode, await askAll(stack, ids, questions, mode));
    return { pages: pages.length, questions: questions.length, embedder, processModel: options.inProcess ? "in-process" : "npm start", import: figures, modes };
  } finally {
    await imported.dispose();
  }
}

type Imported = { stack: LocalStack; ids: Map<string, string>; figures: ImportFigures; dispose(): Promise<void> };

/** `npm start` (API process + one worker process per core, real delays) imports; then an in-process app reads the same store. */
async function importWithWorkers(pages: readonly string[], env: Record<string, string>): Promise<Imported> {
  const server = await startBenchNpmStart("search-eval", { env: { ...env, LOG_LEVEL: "warn" } });
  let result: Awaited<ReturnType<typeof importManual>>;
  try {
    result = await importManual({ url: server.url, store: server.store }, pages);
  } catch (error) {
    await server.dispose();
    throw error;
  }
  await server.stop();
  const stack = await startLocalStack({
    api: false,
    workers: false,
    monitoring: false,
    sweepIntervalMs: 0,
    env: { ...env, DATA_DIR: server.dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `evalread${process.pid}`, REDIS_URL: undefined },
  });
  return {
    stack,
    ...result,
    async dispose() {
      await stack.stop();
      await server.dispose();
    },
  };
}

/** The pollers in this process, one event loop; only the search index keeps its real 1 s delay. */
async function importInProcess(pages: readonly string[], env: Record<string, string>): Promise<Imported> {
  const stack = await startBenchStack("search-eval", {
    // The search index keeps its real 1 s delay: "keyword-searchable after ingestion" is measured with it.
    routeOverrides: instantTimings({ "search-index": { delaySeconds: 1 } }),
    env,
  });
  try {
    return { stack, ...(await importManual({ url: stack.url, store: stack.app.store.client }, pages)), dispose: () => stack.dispose() };
  } catch (error) {
    await stack.dispose();
    throw error;
  }
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

export function modeTable(modes: Record<string, ModeFigures>): string {
  const head = "| mode | success@1 | success@5 | success@5 easy | success@5 paraphrase | MRR@10 | nDCG@10 | p50 ms | p99 ms |";
  const rows = Object.entries(modes).map(
    ([name, m]) =>
      `| ${name} | ${pct(m.all.success1)} | ${pct(m.all.success5)} | ${pct(m.easy.success5)} | ${pct(m.paraphrase.success5)} | ${m.all.mrr10.toFixed(3)} | ${m.all.ndcg10.toFixed(3)} | ${m.latencyMs.p50.toFixed(1)} | ${m.latencyMs.p99.toFixed(1)} |`,
  );
  return [head, "|---|---|---|---|---|---|---|---|---|", ...rows].join("\n");
}

/** The benchmark runner's entry (`npm run bench` includes it; `--quick` is the 300-page subset). */
export const searchEvalBench: Benchmark = async ({ quick }) => {
  const r = await runSearchEval({ quick });
  const hybrid = r.modes.hybrid!;
  const better = (metric: (m: ModeFigures) => number) => MODES.every((m) => metric(hybrid) >= metric(r.modes[m]!));
  const figures: Figure[] = [
    { ref: "16", what: `hybrid success@5 (${r.questions} questions, ${r.pages} pages)`, requirement: "—", aim: "≥ 80%", measured: pct(hybrid.all.success5), value: hybrid.all.success5, meetsAim: hybrid.all.success5 >= 0.8 },
    { ref: "16", what: "hybrid success@5, paraphrases", requirement: "—", aim: "≥ 65%", measured: pct(hybrid.paraphrase.success5), value: hybrid.paraphrase.success5, meetsAim: hybrid.paraphrase.success5 >= 0.65 },
    {
      ref: "16",
      what: "hybrid ≥ keyword and semantic (s@1, s@5, MRR, nDCG)",
      requirement: "—",
      aim: "every metric",
      measured: better((m) => m.all.success1) && better((m) => m.all.success5) && better((m) => m.all.mrr10) && better((m) => m.all.ndcg10) ? "yes" : "no",
      meetsAim: better((m) => m.all.success1) && better((m) => m.all.success5) && better((m) => m.all.mrr10) && better((m) => m.all.ndcg10),
    },
    { ref: "16", what: "hybrid query p50 / p99 (uncached)", requirement: "—", aim: "≤ 30 / 100 ms", measured: `${hybrid.latencyMs.p50} / ${hybrid.latencyMs.p99} ms`, value: hybrid.latencyMs.p50, unit: "ms", meetsAim: hybrid.latencyMs.p50 <= 30 && hybrid.latencyMs.p99 <= 100 },
    { ref: "16", what: "import rate with the encoder", requirement: "—", aim: "≥ 6 pages/s", measured: `${r.import.pagesPerSecond} pages/s`, value: r.import.pagesPerSecond, unit: "pages/s", meetsAim: r.import.pagesPerSecond >= 6 },
    { ref: "16", what: "keyword-searchable after ingestion p99", requirement: "—", aim: "≤ 2 s", measured: `${r.import.searchableAfterIngestionMs.p99} ms`, value: r.import.searchableAfterIngestionMs.p99, unit: "ms", meetsAim: r.import.searchableAfterIngestionMs.p99 <= 2000 },
    { ref: "16", what: "embedding cost", requirement: "—", aim: "—", measured: `${r.import.embedding.passagesPerSecond} passages/s, ${r.import.embedding.secondsPer1000Pages} s per 1,000 pages`, value: r.import.embedding.passagesPerSecond, unit: "passages/s", meetsAim: null },
  ];
  return { title: "Search quality and cost on the PostgreSQL manual", figures, details: r, notes: [modeTable(r.modes)] };
};
