/**
 * `npx tsx bench/search-eval/bm25Baseline.ts [--misses] [--title-weight N] [--query "text"]`
 *
 * A plain keyword baseline for the evaluation set, outside the project's
 * pipeline: every page of the manual (title + body text) in an in-memory FTS5
 * table with the tokenizer the project's search index uses, each question
 * asked as an OR of its content words (stop words dropped), ranked by BM25.
 * Prints success@1, success@5 and MRR@10 per kind, so a new question set can
 * be judged: easy questions should mostly be found, paraphrases mostly not.
 * `--query` prints the top 10 pages for one text instead (handy when labelling).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { checkShape, loadQuestionFile, type Question } from "./checkSet";
import { corpusDir, decodeEntities, parseHead } from "./manualPages";
import { STOP_WORDS } from "./titleWords";

const { values } = parseArgs({
  options: { misses: { type: "boolean", default: false }, "title-weight": { type: "string", default: "1" }, query: { type: "string" } },
});
const titleWeight = Number(values["title-weight"]);

/** The readable text of a page: body without the navigation header and footer. */
function pageText(html: string): string {
  const body = (/<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html)
    .replace(/<div class="navheader">[\s\S]*?<\/div>/, " ")
    .replace(/<div class="navfooter">[\s\S]*?<\/div>/, " ");
  return decodeEntities(body.replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ").trim();
}

/** The question's content words as an FTS5 OR query; the stemming is FTS5's porter tokenizer. */
export function orQuery(text: string): string {
  const words = text.toLowerCase().split(/[^\p{L}\p{N}_]+/u).filter((w) => w.length > 1 && !STOP_WORDS.has(w));
  return [...new Set(words)].map((w) => `"${w.replace(/"/g, "")}"`).join(" OR ");
}

const dir = corpusDir();
const db = createClient({ url: ":memory:" });
await db.execute("CREATE VIRTUAL TABLE pages USING fts5(file UNINDEXED, title, body, tokenize = 'porter unicode61 remove_diacritics 2')");
const files = readdirSync(dir).filter((f) => f.endsWith(".html"));
await db.batch(
  files.map((file) => {
    const html = readFileSync(path.join(dir, file), "utf8");
    return { sql: "INSERT INTO pages (file, title, body) VALUES (?, ?, ?)", args: [file, parseHead(html).title, pageText(html)] };
  }),
  "write",
);

async function top(text: string, k: number): Promise<string[]> {
  const match = orQuery(text);
  if (!match) return [];
  const rs = await db.execute({ sql: `SELECT file FROM pages WHERE pages MATCH ? ORDER BY bm25(pages, 0, ?, 1) LIMIT ?`, args: [match, titleWeight, k] });
  return rs.rows.map((r) => String(r.file));
}

if (values.query) {
  for (const [i, file] of (await top(values.query, 10)).entries()) console.log(`${i + 1}. ${file}`);
  process.exit(0);
}

const { questions } = checkShape(loadQuestionFile());
interface Score { n: number; at1: number; at5: number; rr: number }
const scores = new Map<string, Score>();
const misses: string[] = [];
for (const q of questions as Question[]) {
  const ranked = await top(q.question, 10);
  const rank = ranked.findIndex((f) => q.accepted.includes(f)) + 1; // 0 = not in the top 10
  for (const key of [q.kind, "all"]) {
    const s = scores.get(key) ?? { n: 0, at1: 0, at5: 0, rr: 0 };
    s.n++;
    if (rank === 1) s.at1++;
    if (rank >= 1 && rank <= 5) s.at5++;
    if (rank >= 1) s.rr += 1 / rank;
    scores.set(key, s);
  }
  if (values.misses) misses.push(`${rank >= 1 && rank <= 5 ? "HIT " : "miss"} ${q.id} ${q.kind.padEnd(10)} rank ${rank || "-"}  ${q.question}  [top: ${ranked.slice(0, 5).join(", ")}]`);
}
console.log(`BM25 (FTS5, porter, OR of content words, title weight ${titleWeight}) over ${files.length} pages of ${dir}`);
for (const [kind, s] of scores) {
  const pct = (x: number) => `${((100 * x) / s.n).toFixed(1)}%`;
  console.log(`${kind.padEnd(10)} n=${String(s.n).padStart(3)}  success@1 ${pct(s.at1).padStart(6)}  success@5 ${pct(s.at5).padStart(6)} (${s.at5})  MRR@10 ${(s.rr / s.n).toFixed(3)}`);
}
if (values.misses) console.log(misses.join("\n"));
