/**
 * `alexandria <command>` (or `npm run cli -- <command>`): Neo Alexandria for
 * people at a terminal. Talks to a running stack over HTTP, except `start`,
 * which runs one. The server is found as README.md ("Command line") says:
 * ALEXANDRIA_URL, else the address the running `npm start` wrote to
 * DATA_DIR/server.json, else http://127.0.0.1:3000. API_KEY is sent as
 * x-api-key when set. `alexandria <command> --help` explains each command.
 */
import { createReadStream, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { readServerFile } from "./serverFile";
import { DERIVED_NAMES } from "@shared/domain/derived";

const EXTENSIONS: Record<string, string> = { ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain", ".html": "text/html", ".htm": "text/html", ".pdf": "application/pdf" };
const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Records per POST /import (the route's limit), and a byte budget per request well under the body limit. */
const IMPORT_BATCH = 200;
const IMPORT_BATCH_BYTES = 3 * 1024 * 1024;
const POLL_MS = 500;

const COMMANDS: Record<string, { usage: string; about: string }> = {
  start: { usage: "start", about: "Run the stack in this terminal (same as npm start)." },
  ingest: {
    usage: "ingest <file|folder|url>...",
    about:
      "Add files (.md .txt .html .pdf, folders searched recursively) and http(s) URLs, and follow each until its derived data is current.\nA file that cannot be read or is empty is reported by name and the rest goes on. Exit code 1 when any item failed.",
  },
  search: { usage: "search <query> [--mode keyword|semantic|hybrid] [--limit n] [--all]", about: "Search the library; every result shows where it came from. --all shows near-duplicates too." },
  show: { usage: "show <id>", about: "Print the stored text of a resource (as extracted at ingestion)." },
  status: { usage: "status <id>", about: "Freshness of a resource's derived data, and what is being retried." },
  duplicates: { usage: "duplicates <id>", about: "The near-duplicate group of a resource." },
  export: { usage: "export > library.ndjson", about: "Write the whole library (inputs, your metadata, manual categories, interactions) as NDJSON to standard output. Needs API_KEY when the server has one." },
  import: {
    usage: "import <library.ndjson>",
    about: "Import an export into this library and follow the new resources until current. Re-importing changes nothing; conflicting ids and broken lines are reported. Exit code 1 when any record was not imported.",
  },
  reprocess: {
    usage: "reprocess <id> [--stage s]...",
    about: `Re-run stages of a resource (default: the failed ones) and follow them until current. Stages: ingestion, ${DERIVED_NAMES.join(", ")}.\nNeeds API_KEY when the server has one. Exit code 1 when a stage fails again.`,
  },
  "retry-failed": {
    usage: "retry-failed [--stage s]",
    about: "Re-run every failed stage (or only stage s) of every resource, as one batch, and follow it until current.\nNeeds API_KEY when the server has one. Exit code 1 when anything stays failed.",
  },
  dlq: { usage: "dlq list [--task t] | dlq replay [--task t] [--id m]", about: "List dead letters, or send them back to their queue." },
  "run-job": { usage: "run-job <name>", about: "Run a scheduled job now." },
  warm: { usage: "warm", about: "Warm the cache with the most read resources and frequent queries." },
};

function usage(): string {
  return [
    "Usage: alexandria <command> [options]   (npm run cli -- <command>)",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage}\n      ${c.about.split("\n")[0]}`),
    "",
    "Server: ALEXANDRIA_URL, else the address in DATA_DIR/server.json written by npm start, else http://127.0.0.1:3000.",
    "alexandria <command> --help explains a command.",
  ].join("\n");
}

/** The server to talk to, and how it was found. */
export function serverUrl(env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (env.ALEXANDRIA_URL) return { url: env.ALEXANDRIA_URL.replace(/\/$/, ""), from: "ALEXANDRIA_URL" };
  const dataDir = path.resolve(env.DATA_DIR ?? "./data");
  const running = readServerFile(dataDir);
  if (running) return { url: running.url, from: path.join(dataDir, "server.json") };
  return { url: `http://127.0.0.1:${env.PORT ?? 3000}`, from: "default" };
}

const SERVER = serverUrl();

function headers(json: boolean): Record<string, string> {
  return { ...(json ? { "content-type": "application/json" } : {}), ...(process.env.API_KEY ? { "x-api-key": process.env.API_KEY } : {}) };
}

async function request(method: string, url: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${SERVER.url}${url}`, { method, headers: headers(body !== undefined), ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  } catch {
    throw new Error(`cannot reach ${SERVER.url} (from ${SERVER.from}): start the stack first (npm start), or set ALEXANDRIA_URL`);
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await request(method, url, body);
  const text = await res.text();
  let json: (T & { error?: string }) | null = null;
  try {
    json = (text ? JSON.parse(text) : null) as (T & { error?: string }) | null;
  } catch {
    // Not JSON (a proxy's error page): the text is the message.
  }
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${json?.error ?? text.slice(0, 300)}`);
  return json as T;
}

/** A one-line progress bar, redrawn in place on a terminal and printed at most every few seconds elsewhere. */
class Progress {
  private lastPlain = 0;
  constructor(private readonly total: number) {}
  draw(done: number, failed: number, phase: string, label = ""): void {
    const width = 30;
    const filled = this.total ? Math.min(width, Math.round(((done + failed) / this.total) * width)) : width;
    const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${this.total} ${phase}${failed ? `, ${failed} failed` : ""}  ${label}`;
    if (process.stdout.isTTY) process.stdout.write(`\r${line.slice(0, (process.stdout.columns || 100) - 1).padEnd((process.stdout.columns || 100) - 1)}`);
    else if (Date.now() - this.lastPlain > 2_000 || done + failed === this.total) {
      this.lastPlain = Date.now();
      process.stdout.write(`${line}\n`);
    }
  }
  end(): void {
    if (process.stdout.isTTY) process.stdout.write("\n");
  }
}

interface Item {
  label: string;
  body?: Record<string, unknown>;
  id?: string;
  failure?: string;
}

/** Files under a target; a folder or file that cannot be read becomes a failed item, named. */
function itemsUnder(target: string, out: Item[]): void {
  let st;
  try {
    st = statSync(target);
  } catch (e) {
    out.push({ label: target, failure: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
    return;
  }
  if (st.isFile()) {
    out.push(fileItem(target, st.size));
    return;
  }
  let entries;
  try {
    entries = readdirSync(target, { withFileTypes: true });
  } catch (e) {
    out.push({ label: target, failure: `cannot read folder: ${(e as NodeJS.ErrnoException).code ?? String(e)}` });
    return;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(target, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith(".") && e.name !== "node_modules") itemsUnder(p, out);
    } else if (EXTENSIONS[path.extname(e.name).toLowerCase()]) itemsUnder(p, out);
  }
}

function fileItem(file: string, size: number): Item {
  const type = EXTENSIONS[path.extname(file).toLowerCase()];
  if (!type) return { label: file, failure: "unsupported file type (.md .txt .html .pdf)" };
  if (size > MAX_FILE_BYTES) return { label: file, failure: "over 10 MB" };
  if (size === 0) return { label: file, failure: "the file is empty" };
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    return { label: file, failure: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  const content = type === "application/pdf" ? raw.toString("base64") : raw.toString("utf8");
  if (type !== "application/pdf" && !content.trim()) return { label: file, failure: "the file has only whitespace" };
  return { label: file, body: { content, contentType: type, source: path.resolve(file) } };
}

interface Status {
  upToDate: boolean;
  ingestion: { status: string; error: string | null };
  retrying?: { task: string; attempt: number; error: string | null } | null;
}

/** Follows resources until each is current or failed, with a bar; answers the failures. */
async function follow(items: Item[], progress: Progress, done0: number, failed0: number): Promise<void> {
  const pending = items.filter((i) => i.id && !i.failure);
  let done = done0;
  const reported = new Map<string, string>();
  while (pending.length > 0) {
    for (const item of [...pending]) {
      const s = await call<Status>("GET", `/resources/${item.id}/status`);
      if (s.upToDate) {
        done++;
        pending.splice(pending.indexOf(item), 1);
      } else if (s.ingestion.status === "failed") {
        item.failure = s.ingestion.error ?? "ingestion failed";
        pending.splice(pending.indexOf(item), 1);
      } else if (s.retrying) {
        // Say once per attempt that it waits, and why.
        const note = `${s.retrying.task} attempt ${s.retrying.attempt} failed: ${s.retrying.error ?? "unknown error"}; retrying`;
        if (reported.get(item.id!) !== note) {
          reported.set(item.id!, note);
          progress.end();
          process.stdout.write(`  waiting: ${item.label}: ${note}\n`);
        }
      }
      progress.draw(done, failed0 + items.filter((i) => i.failure && i.id).length, "current", path.basename(item.label));
    }
    if (pending.length > 0) await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

function summary(items: Item[], started: number, extra = ""): void {
  const failed = items.filter((i) => i.failure);
  const current = items.length - failed.length;
  process.stdout.write(`${current} current, ${failed.length} failed${extra} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const f of failed) process.stdout.write(`  failed: ${f.label}: ${f.failure}\n`);
  if (failed.length > 0) process.exitCode = 1;
}

async function ingest(targets: string[], started: number): Promise<void> {
  const items: Item[] = [];
  for (const t of targets) {
    if (/^https?:\/\//i.test(t)) items.push({ label: t, body: { url: t } });
    else itemsUnder(t, items);
  }
  if (items.length === 0) throw new Error("nothing to ingest (files: .md .txt .html .pdf, or http(s) URLs)");
  const progress = new Progress(items.length);
  progress.draw(0, 0, "uploading");
  let sent = 0;
  for (const item of items) {
    if (!item.failure) {
      try {
        item.id = (await call<{ id: string }>("POST", "/resources", item.body)).id;
      } catch (e) {
        if (e instanceof Error && e.message.startsWith("cannot reach")) throw e;
        item.failure = e instanceof Error ? e.message : String(e);
      }
    }
    sent++;
    progress.draw(sent - items.filter((i) => i.failure).length, items.filter((i) => i.failure).length, "uploaded", path.basename(item.label));
  }
  progress.end();
  for (const f of items.filter((i) => i.failure)) process.stdout.write(`  skipped: ${f.label}: ${f.failure}\n`);
  await follow(items, progress, 0, 0);
  progress.end();
  summary(items, started);
  for (const i of items.filter((x) => x.id && !x.failure)) process.stdout.write(`  ${i.id}  ${i.label}\n`);
}

/** Writes the export to standard output a page at a time, following the server's cursor (docs/export.md). */
async function exportLibrary(): Promise<void> {
  let url = "/export";
  for (;;) {
    const res = await request("GET", url);
    if (!res.ok) throw new Error(`GET ${url} → ${res.status}: ${(await res.text()).slice(0, 300)}`);
    if (res.body) await pipeline(Readable.fromWeb(res.body as never), process.stdout, { end: false });
    const next = res.headers.get("x-export-next");
    if (!next) return;
    url = `/export?after=${encodeURIComponent(next)}`;
  }
}

interface ImportReport {
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  conflicts: Array<{ line: number; id: string | null; reason: string }>;
  invalid: Array<{ line: number; id: string | null; reason: string }>;
  createdIds: string[];
}

async function importLibrary(file: string, started: number): Promise<void> {
  if (!file) throw new Error("usage: alexandria import <library.ndjson>");
  let total = 0;
  try {
    total = readFileSync(file, "utf8").split("\n").filter((l) => l.trim() && !l.includes('"kind":"header"')).length;
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const progress = new Progress(total);
  progress.draw(0, 0, "imported");
  const totals = { records: 0, created: 0, updated: 0, unchanged: 0 };
  const problems: Item[] = [];
  const created: Item[] = [];
  let batch: unknown[] = [];
  let batchBytes = 0;
  let firstLine = 1;
  let lineNo = 0;
  const send = async () => {
    if (batch.length === 0) return;
    const r = await call<ImportReport>("POST", "/import", { firstLine, records: batch });
    totals.records += r.records;
    totals.created += r.created;
    totals.updated += r.updated;
    totals.unchanged += r.unchanged;
    for (const c of r.conflicts) problems.push({ label: `line ${c.line} (${c.id})`, failure: `conflict: ${c.reason}` });
    for (const c of r.invalid) problems.push({ label: `line ${c.line}${c.id ? ` (${c.id})` : ""}`, failure: `invalid: ${c.reason}` });
    for (const id of r.createdIds) created.push({ label: id, id });
    batch = [];
    batchBytes = 0;
    progress.draw(totals.created + totals.updated + totals.unchanged, problems.length, "imported");
  };
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lineNo++;
    // Records of a batch are on consecutive lines (the server numbers them from firstLine): a blank line ends a batch.
    if (!line.trim()) {
      await send();
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      value = { kind: "unparseable line" };
    }
    if (batch.length >= IMPORT_BATCH || batchBytes + line.length > IMPORT_BATCH_BYTES) await send();
    if (batch.length === 0) firstLine = lineNo;
    batch.push(value);
    batchBytes += line.length;
  }
  await send();
  progress.end();
  for (const p of problems) process.stdout.write(`  skipped: ${p.label}: ${p.failure}\n`);
  if (created.length > 0) {
    const following = new Progress(created.length);
    await follow(created, following, 0, 0);
    following.end();
  }
  const all = [...created, ...problems];
  process.stdout.write(`${totals.records} records: ${totals.created} created, ${totals.updated} updated, ${totals.unchanged} unchanged, ${problems.length} skipped\n`);
  summary(all, started, "");
}

/** An HTTP error with its status, so a 409 "nothing to do" can be told from a failure. */
async function callOrConflict<T>(method: string, url: string, body?: unknown): Promise<{ ok: T } | { conflict: string }> {
  const res = await request(method, url, body);
  const json = (await res.json().catch(() => null)) as (T & { error?: string }) | null;
  if (res.status === 409) return { conflict: json?.error ?? "nothing to do" };
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${json?.error ?? ""}`);
  return { ok: json as T };
}

interface StageStatus {
  stages: Array<{ stage: string; state: string; lastError?: { class: string; message: string } | null; lastRun?: { startedAt: string } | null }>;
}

/** Re-runs stages of one resource and follows them: each is done, or failed again since the request. */
async function reprocess(id: string, stages: string[] | undefined, started: number): Promise<void> {
  if (!id) throw new Error("usage: alexandria reprocess <id> [--stage s]...");
  const answer = await callOrConflict<{ stages: string[]; requestedAt: string }>("POST", `/resources/${encodeURIComponent(id)}/reprocess`, stages ? { stages } : {});
  if ("conflict" in answer) {
    process.stdout.write(`${answer.conflict}\n`);
    return;
  }
  const { requestedAt } = answer.ok;
  // Re-ingesting recomputes everything after it.
  const watched = answer.ok.stages.includes("ingestion") ? null : answer.ok.stages;
  let progress: Progress | null = null;
  for (;;) {
    const s = await call<StageStatus>("GET", `/resources/${encodeURIComponent(id)}/status`);
    const mine = s.stages.filter((x) => !watched || watched.includes(x.stage));
    const done = mine.filter((x) => x.state === "done");
    const failed = mine.filter((x) => x.state === "failed" && (x.stage === "ingestion" || (x.lastRun?.startedAt ?? "") >= requestedAt));
    progress ??= new Progress(mine.length);
    progress.draw(done.length, failed.length, "stages current", mine.filter((x) => x.state !== "done").map((x) => x.stage).join(" "));
    if (done.length + failed.length === mine.length) {
      progress.end();
      process.stdout.write(`${done.length} stage(s) current, ${failed.length} failed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      for (const f of failed) process.stdout.write(`  failed: ${f.stage}: ${f.lastError ? `${f.lastError.class}: ${f.lastError.message}` : "failed"}\n`);
      if (failed.length > 0) process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Re-runs every failed stage (or one stage) of every resource as a batch, and follows the batch. */
async function retryFailed(stage: string | undefined, started: number): Promise<void> {
  const answer = await callOrConflict<{ batchId: string; total: number }>("POST", "/resources/reprocess", { status: "failed", ...(stage ? { stage } : {}) });
  if ("conflict" in answer) {
    process.stdout.write(`${answer.conflict}\n`);
    return;
  }
  const progress = new Progress(answer.ok.total);
  for (;;) {
    const p = await call<{ total: number; done: number; failed: number; complete: boolean; failures: Array<{ id: string; error: string | null }> }>("GET", `/batches/${answer.ok.batchId}`);
    progress.draw(p.done, p.failed, "current", `batch ${answer.ok.batchId}`);
    if (p.complete) {
      progress.end();
      process.stdout.write(`${p.done} current, ${p.failed} failed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      for (const f of p.failures) process.stdout.write(`  failed: ${f.id}: ${f.error ?? "failed"}\n`);
      if (p.failed > 0) process.exitCode = 1;
      return;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      mode: { type: "string", default: "hybrid" },
      limit: { type: "string", default: "10" },
      task: { type: "string" },
      id: { type: "string" },
      stage: { type: "string", multiple: true },
      all: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (command && values.help) {
    const c = COMMANDS[command];
    if (!c) throw new Error(`unknown command ${command}\n\n${usage()}`);
    process.stdout.write(`Usage: alexandria ${c.usage}\n\n${c.about}\n`);
    return;
  }
  switch (command) {
    case "start":
      await import("./main");
      return;
    case "ingest":
      return ingest(rest, started);
    case "search": {
      const q = rest.join(" ");
      const res = await call<{ results: Array<{ id: string; title: string | null; score: number; snippet: string; url: string | null; path: string | null; source?: string | null }>; total: number }>(
        "GET",
        `/search?mode=${encodeURIComponent(values.mode ?? "hybrid")}&limit=${encodeURIComponent(values.limit ?? "10")}&collapse=${values.all ? "false" : "true"}&q=${encodeURIComponent(q)}`,
      );
      process.stdout.write(`${res.total} found\n`);
      for (const r of res.results) {
        process.stdout.write(`${r.score.toFixed(4)}  ${r.id}  ${r.title ?? "(untitled)"}\n         from: ${r.path ?? r.url ?? r.source ?? "(pasted content)"}\n         ${r.snippet.replace(/\s+/g, " ").slice(0, 160)}\n`);
      }
      return;
    }
    case "show": {
      const c = await call<{ content: string | null; url: string | null; source: string | null }>("GET", `/resources/${encodeURIComponent(rest[0] ?? "")}/content`);
      process.stderr.write(`from: ${c.url ?? c.source ?? "(pasted content)"}\n`);
      process.stdout.write(`${c.content ?? "(not ingested yet)"}\n`);
      return;
    }
    case "status":
      process.stdout.write(`${JSON.stringify(await call("GET", `/resources/${encodeURIComponent(rest[0] ?? "")}/status`), null, 2)}\n`);
      return;
    case "duplicates":
      process.stdout.write(`${JSON.stringify(await call("GET", `/resources/${encodeURIComponent(rest[0] ?? "")}/duplicates`), null, 2)}\n`);
      return;
    case "export":
      return exportLibrary();
    case "import":
      return importLibrary(rest[0] ?? "", started);
    case "reprocess":
      return reprocess(rest[0] ?? "", values.stage, started);
    case "retry-failed":
      if ((values.stage?.length ?? 0) > 1) throw new Error("retry-failed takes one --stage");
      return retryFailed(values.stage?.[0], started);
    case "dlq": {
      if (rest[0] === "replay") {
        const body = { ...(values.task ? { task: values.task } : {}), ...(values.id ? { messageId: values.id } : {}) };
        process.stdout.write(`${JSON.stringify(await call("POST", "/monitoring/dead-letters/replay", body), null, 2)}\n`);
      } else {
        process.stdout.write(`${JSON.stringify(await call("GET", `/monitoring/dead-letters${values.task ? `?task=${encodeURIComponent(values.task)}` : ""}`), null, 2)}\n`);
      }
      return;
    }
    case "warm":
      process.stdout.write(`${JSON.stringify(await call("POST", "/monitoring/cache/warm", {}), null, 2)}\n`);
      return;
    case "run-job":
      // The job runner is its own entry point (`npm run job`); it reads its arguments and exits when done.
      process.argv = [process.argv[0]!, "runJob", ...rest];
      await import("./runJob");
      return;
    default:
      process.stdout.write(`${usage()}\n`);
      if (command) {
        process.stderr.write(`unknown command: ${command}\n`);
        process.exitCode = 2;
      }
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
