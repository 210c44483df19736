/**
 * `npm run eval:search [-- --quick] [-- --questions <file>] [-- --embedder encoder|lexical]`:
 * search quality and cost on the PostgreSQL manual (bench/searchEval.ts), printed
 * and written to bench/results/<date>-search-eval[-quick].json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { repoRoot } from "@test/helpers/processes";

// Before any module that reads it is loaded (the logger reads it once).
process.env.LOG_LEVEL ??= "silent";
const { modeTable, runSearchEval } = await import("./searchEval");
const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, questions: { type: "string" }, embedder: { type: "string" }, "in-process": { type: "boolean", default: false } } });
const embedder = values.embedder === "lexical" ? "lexical" : "encoder";
const started = new Date();
const load = os.loadavg().map((x) => x.toFixed(2));
process.stdout.write(`Search evaluation (${values.quick ? "quick" : "full"}), ${os.cpus().length} cores, load average ${load.join(" ")}\n`);
const r = await runSearchEval({ quick: values.quick ?? false, questionsFile: values.questions, embedder, inProcess: values["in-process"] ?? false });
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
const summary = [
  modeTable(r.modes),
  "",
  `import (${r.processModel}): ${r.pages} pages in ${r.import.wallSeconds} s (${r.import.pagesPerSecond} pages/s); keyword-searchable after ingestion p50 ${r.import.searchableAfterIngestionMs.p50} ms, p99 ${r.import.searchableAfterIngestionMs.p99} ms`,
  `embedding (${r.embedder}): ${r.import.embedding.vectors} vectors in ${r.import.embedding.wallSeconds} s: ${r.import.embedding.passagesPerSecond} passages/s, ${r.import.embedding.secondsPer1000Pages} s per 1,000 pages`,
  `commit ${commit}, load average at start ${load.join(" ")}, at end ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`,
].join("\n");
process.stdout.write(`\n${summary}\n`);
const dir = path.join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${started.toISOString().slice(0, 10)}-search-eval${values.quick ? "-quick" : ""}${embedder === "lexical" ? "-lexical" : ""}.json`);
writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), commit, command: `npm run eval:search${values.quick ? " -- --quick" : ""}${values["in-process"] ? " -- --in-process" : ""}`, ...r, markdown: summary }, null, 2)}\n`);
process.stdout.write(`written: ${path.relative(repoRoot, file)}\n`);
process.exit(0);
