/**
 * `npm run cli -- <command>`: Neo Alexandria for people at a terminal. Talks to
 * a running stack over HTTP (ALEXANDRIA_URL, default http://127.0.0.1:3000;
 * API_KEY sent as x-api-key when set), except `start`, which runs one.
 *
 *   start                          run the stack in this terminal (same as npm start)
 *   ingest <file|folder|url>...    add resources and follow them until current
 *   search <query> [--mode m]      keyword | semantic | hybrid (default)
 *   status <id>                    freshness of a resource's derived data
 *   dlq list [--task t]            dead letters
 *   dlq replay [--task t] [--id m] send dead letters back to their queue
 *   run-job <name>                 run a scheduled job now
 *   warm                           warm the cache with the most read resources and frequent queries
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const BASE = (process.env.ALEXANDRIA_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`).replace(/\/$/, "");
const EXTENSIONS: Record<string, string> = { ".md": "text/markdown", ".markdown": "text/markdown", ".txt": "text/plain", ".html": "text/html", ".htm": "text/html", ".pdf": "application/pdf" };
const MAX_FILE_BYTES = 10 * 1024 * 1024;

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${BASE}${url}`, {
      method,
      headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...(process.env.API_KEY ? { "x-api-key": process.env.API_KEY } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new Error(`cannot reach ${BASE}: start the stack first (npm start)`);
  }
  const text = await res.text();
  const json = (text ? JSON.parse(text) : null) as (T & { error?: string }) | null;
  if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${json?.error ?? text}`);
  return json as T;
}

function filesUnder(target: string): string[] {
  const st = statSync(target);
  if (st.isFile()) return [target];
  return readdirSync(target, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(target, e.name);
    if (e.isDirectory()) return e.name.startsWith(".") || e.name === "node_modules" ? [] : filesUnder(p);
    return EXTENSIONS[path.extname(e.name).toLowerCase()] ? [p] : [];
  });
}

function bar(done: number, failed: number, total: number, label: string): string {
  const width = 30;
  const filled = total ? Math.round(((done + failed) / total) * width) : width;
  return `\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} current${failed ? `, ${failed} failed` : ""}  ${label}`.padEnd(100);
}

interface Status {
  upToDate: boolean;
  ingestion: { status: string; error: string | null };
}

async function ingest(targets: string[]): Promise<void> {
  const items: Array<{ label: string; body: Record<string, unknown> }> = [];
  for (const t of targets) {
    if (/^https?:\/\//i.test(t)) {
      items.push({ label: t, body: { url: t } });
      continue;
    }
    for (const file of filesUnder(t)) {
      const type = EXTENSIONS[path.extname(file).toLowerCase()];
      if (!type) continue;
      if (statSync(file).size > MAX_FILE_BYTES) {
        process.stderr.write(`skipped ${file}: over 10 MB\n`);
        continue;
      }
      const raw = readFileSync(file);
      items.push({ label: file, body: { content: type === "application/pdf" ? raw.toString("base64") : raw.toString("utf8"), contentType: type, source: path.resolve(file) } });
    }
  }
  if (items.length === 0) throw new Error("nothing to ingest (files: .md .txt .html .pdf, or http(s) URLs)");
  const ids: Array<{ id: string; label: string }> = [];
  for (const item of items) {
    const res = await call<{ id: string }>("POST", "/resources", item.body);
    ids.push({ id: res.id, label: item.label });
  }
  const pending = new Map(ids.map((i) => [i.id, i.label]));
  const failed: string[] = [];
  let done = 0;
  const started = Date.now();
  while (pending.size > 0) {
    for (const [id, label] of [...pending]) {
      const s = await call<Status>("GET", `/resources/${id}/status`);
      if (s.upToDate) {
        done++;
        pending.delete(id);
      } else if (s.ingestion.status === "failed") {
        failed.push(`${label}: ${s.ingestion.error ?? "failed"}`);
        pending.delete(id);
      }
      process.stdout.write(bar(done, failed.length, ids.length, path.basename(label)));
    }
    if (pending.size > 0) await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write(`\n${done} current, ${failed.length} failed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  for (const f of failed) process.stdout.write(`  failed: ${f}\n`);
  for (const i of ids) process.stdout.write(`  ${i.id}  ${i.label}\n`);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { mode: { type: "string", default: "hybrid" }, limit: { type: "string", default: "10" }, task: { type: "string" }, id: { type: "string" } },
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case "start":
      await import("./main");
      return;
    case "ingest":
      return ingest(rest);
    case "search": {
      const q = rest.join(" ");
      const res = await call<{ results: Array<{ id: string; title: string | null; score: number; snippet: string }>; total: number }>(
        "GET",
        `/search?mode=${encodeURIComponent(values.mode ?? "hybrid")}&limit=${encodeURIComponent(values.limit ?? "10")}&q=${encodeURIComponent(q)}`,
      );
      process.stdout.write(`${res.total} found\n`);
      for (const r of res.results) process.stdout.write(`${r.score.toFixed(4)}  ${r.id}  ${r.title ?? "(untitled)"}\n         ${r.snippet.replace(/\s+/g, " ").slice(0, 160)}\n`);
      return;
    }
    case "status":
      process.stdout.write(`${JSON.stringify(await call("GET", `/resources/${encodeURIComponent(rest[0] ?? "")}/status`), null, 2)}\n`);
      return;
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
      process.stdout.write(readFileSync(new URL(import.meta.url), "utf8").split("*/")[0]!.replace(/^\/\*\*\n/, "").replace(/^ \* ?/gm, "") + "\n");
      if (command) process.exitCode = 2;
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
