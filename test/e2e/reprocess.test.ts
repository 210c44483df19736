/**
 * Per-stage status and replay (issue 18 item 1): the embedder refuses, for
 * good, any text carrying a marker, so those resources' embedding stage fails
 * after one attempt (a PermanentError goes to the DLQ). The status shows the
 * failure's class, message, attempts and timings; reprocessing re-runs that
 * stage only, through its task, and it turns done; a bulk reprocess of two
 * failed resources is a batch followed to completion.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/processes";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { lastLedgerId, readLedger } from "../helpers/taskLedger";
import { refusingEmbedder } from "../helpers/refusingEmbedder";

const KEY = "reprocess-test-key";
const auth = { "x-api-key": KEY };
const MARKER = "zebrapoison";

let stack: TestStack;
let inbox: string;
/** While true, the embedder refuses texts with the marker (a permanent failure: no retries). */
let refusing = true;

interface StageView {
  stage: string;
  task: string;
  state: string;
  attempts?: number;
  lastError?: { class: string; message: string; at: string } | null;
  lastRun?: { status: string; startedAt: string; finishedAt: string | null; durationMs: number | null } | null;
}
interface StatusView {
  stages: StageView[];
  upToDate: boolean;
}

async function status(id: string): Promise<StatusView> {
  const res = await api<StatusView>(stack, "GET", `/resources/${id}/status`, undefined, auth);
  // Reads need the key too (no public read API): a 401 would surface here, not as a missing field later.
  expect(res.status).toBe(200);
  return res.body;
}
const stageOf = (s: StatusView, name: string) => s.stages.find((x) => x.stage === name)!;

async function add(content: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content, title: content.slice(0, 30) }, auth);
  expect(res.status).toBe(202);
  return res.body.id;
}

async function waitForEmbeddingFailed(id: string): Promise<StatusView> {
  return waitFor(async () => {
    const s = await status(id);
    return stageOf(s, "embedding").state === "failed" && stageOf(s, "quality").state === "done" && stageOf(s, "searchIndex").state === "done" ? s : undefined;
  }, 30_000);
}

let poisoned: string;
let second: string;
let third: string;
let healthy: string;

beforeAll(async () => {
  inbox = mkdtempSync(path.join(os.tmpdir(), "alexandria-reprocess-"));
  stack = await startTestStack({ env: { API_KEY: KEY, FILE_ALLOWED_DIRS: inbox, ALLOW_FILE_URLS: "true" } });
  stack.app.embedder = refusingEmbedder(stack.app.embedder, MARKER, () => refusing);
  poisoned = await add(`Lighthouse keepers logged the weather every hour. ${MARKER} one`);
  second = await add(`Tide tables predict the height of the sea at each port. ${MARKER} two`);
  third = await add(`Sailmakers stitch canvas with waxed thread and a palm. ${MARKER} three`);
  healthy = await add("Harbour pilots guide ships through narrow channels into port.");
  await Promise.all([poisoned, second, third].map(waitForEmbeddingFailed));
}, 90_000);
afterAll(async () => {
  await stack?.dispose();
  rmSync(inbox, { recursive: true, force: true });
});

describe("per-stage status", () => {
  it("shows a failed stage's attempts, error class and message and the timings of its run, next to the existing fields", async () => {
    const s = await status(poisoned);
    const embedding = stageOf(s, "embedding");
    expect(embedding).toMatchObject({ stage: "embedding", task: "embedding", state: "failed", attempts: 1 });
    expect(embedding.lastError).toMatchObject({ class: "PermanentError", message: "the embedder refused this text" });
    expect(embedding.lastRun?.status).toBe("failed");
    expect(Date.parse(embedding.lastRun!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(embedding.lastRun!.startedAt));
    expect(embedding.lastRun!.durationMs).toBeGreaterThanOrEqual(0);
    const quality = stageOf(s, "quality");
    expect(quality).toMatchObject({ state: "done", lastError: null });
    expect(quality.attempts).toBeGreaterThanOrEqual(1);
    expect(quality.lastRun?.status).toBe("succeeded");
    expect(s.upToDate).toBe(false);
  });
});

describe("POST /resources/{id}/reprocess", () => {
  it("refuses without the key, an unknown stage (400), a done stage or a resource with nothing failed (409)", async () => {
    expect((await api(stack, "POST", `/resources/${poisoned}/reprocess`, {})).status).toBe(401);
    const unknown = await api<{ error: string }>(stack, "POST", `/resources/${poisoned}/reprocess`, { stages: ["bogus"] }, auth);
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body)).toMatch(/stage must be one of/);
    const done = await api<{ error: string }>(stack, "POST", `/resources/${poisoned}/reprocess`, { stages: ["quality"] }, auth);
    expect(done.status).toBe(409);
    expect(JSON.stringify(done.body)).toMatch(/already done/);
    await waitFor(async () => (await status(healthy)).upToDate, 30_000);
    expect((await api(stack, "POST", `/resources/${healthy}/reprocess`, {}, auth)).status).toBe(409);
    expect((await api(stack, "POST", "/resources/nope/reprocess", {}, auth)).status).toBe(404);
  });

  it("re-runs only the failed stage through its task: it turns done and the other stages do not run again", async () => {
    refusing = false;
    const mark = await lastLedgerId(stack.app.store);
    const res = await api<{ stages: string[] }>(stack, "POST", `/resources/${poisoned}/reprocess`, {}, auth);
    expect(res.status).toBe(202);
    expect(res.body.stages).toEqual(["embedding"]);
    const after = await waitFor(async () => {
      const s = await status(poisoned);
      return stageOf(s, "embedding").state === "done" && s.upToDate ? s : undefined;
    }, 30_000);
    expect(stageOf(after, "embedding").lastError).toBeNull();
    const runs = await readLedger(stack.app.store, { resourceId: poisoned, afterId: mark });
    const succeeded = (task: string) => runs.filter((r) => r.task === task && r.status === "succeeded").length;
    expect(succeeded("embedding")).toBe(1);
    // Downstream of a new embedding, classification runs for the first time; nothing else does work again.
    for (const task of ["ingestion", "search-index", "quality", "graph-edges", "author-normalization"]) expect(succeeded(task), task).toBe(0);
  });
});

describe("POST /resources/reprocess (bulk)", () => {
  it("refuses a bad filter (400) and, with the key, reprocesses the failed resources as a batch followed to completion", async () => {
    expect((await api(stack, "POST", "/resources/reprocess", { status: "failed" })).status).toBe(401);
    expect((await api(stack, "POST", "/resources/reprocess", { since: "yesterday" }, auth)).status).toBe(400);
    expect((await api(stack, "POST", "/resources/reprocess", { stage: "nope" }, auth)).status).toBe(400);
    expect((await api(stack, "POST", "/resources/reprocess", { status: "failed", errorClass: "TransientError" }, auth)).status).toBe(409);
    const res = await api<{ batchId: string; total: number; items: Array<{ id: string; stages: string[] }> }>(
      stack,
      "POST",
      "/resources/reprocess",
      { status: "failed", stage: "embedding", errorClass: "PermanentError", since: new Date(Date.now() - 3_600_000).toISOString() },
      auth,
    );
    expect(res.status).toBe(202);
    expect(res.body.total).toBe(2);
    expect(res.body.items.map((i) => i.id).sort()).toEqual([second, third].sort());
    expect(res.body.items.every((i) => i.stages.join() === "embedding")).toBe(true);
    const seen: number[] = [];
    const progress = await waitFor(async () => {
      const p = await api<{ total: number; done: number; failed: number; complete: boolean }>(stack, "GET", `/batches/${res.body.batchId}`, undefined, auth);
      seen.push(p.body.done);
      return p.body.complete ? p.body : undefined;
    }, 30_000);
    expect(progress).toMatchObject({ total: 2, done: 2, failed: 0, complete: true });
    for (const id of [second, third]) expect(stageOf(await status(id), "embedding").state).toBe("done");
    expect((await api(stack, "POST", "/resources/reprocess", {}, auth)).status).toBe(409);
  });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const { ALEXANDRIA_URL: _drop, ...inherited } = process.env;
    const child = spawn(process.execPath, [path.join(repoRoot, "local/bin/alexandria.mjs"), ...args], {
      env: { ...inherited, DATA_DIR: stack.dataDir, API_KEY: KEY, LOG_LEVEL: "silent" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("CLI: alexandria reprocess and retry-failed", () => {
  it("explains both commands with --help", async () => {
    for (const command of ["reprocess", "retry-failed"]) {
      const run = await cli([command, "--help"]);
      expect(run.code, command).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`Usage: alexandria ${command}`));
      expect(run.stdout).toMatch(/--stage/);
    }
  }, 30_000);

  it("reprocess exits 1 naming the error when the stage fails again; retry-failed recovers it with a progress bar and exits 0", async () => {
    refusing = true;
    const id = await add(`Net menders repair the mesh between fishing trips. ${MARKER} four`);
    await waitForEmbeddingFailed(id);

    const again = await cli(["reprocess", id, "--stage", "embedding"]);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stdout).toMatch(/\[[#-]{30}\] \d\/1 stages current/);
    expect(again.stdout).toMatch(/failed: embedding: PermanentError: the embedder refused this text/);

    refusing = false;
    const retried = await cli(["retry-failed", "--stage", "embedding"]);
    expect(retried.code, retried.stdout + retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(/\[#{30}\] 1\/1 current/);
    expect(retried.stdout).toMatch(/1 current, 0 failed/);
    expect(stageOf(await status(id), "embedding").state).toBe("done");

    const nothing = await cli(["retry-failed"]);
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toMatch(/nothing to reprocess/);
  }, 90_000);
});

describe("reprocessing a failed ingestion", () => {
  it("ingests again from the same input once the source is there, and every stage after it follows", async () => {
    const file = path.join(inbox, "late.md");
    const res = await api<{ id: string }>(stack, "POST", "/resources", { url: `file://${file}` }, auth);
    expect(res.status).toBe(202);
    const id = res.body.id;
    const failed = await waitFor(async () => {
      const s = await status(id);
      return stageOf(s, "ingestion").state === "failed" ? s : undefined;
    }, 30_000);
    expect(stageOf(failed, "embedding").state).toBe("failed");
    // Derived stages cannot run without the text: asking for them alone is refused, naming ingestion.
    const early = await api<{ error: string }>(stack, "POST", `/resources/${id}/reprocess`, { stages: ["embedding"] }, auth);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatch(/reprocess its ingestion stage first/);

    writeFileSync(file, "# Late arrival\n\nThe file appeared after the first ingestion had already given up on it.\n");
    const again = await api<{ stages: string[] }>(stack, "POST", `/resources/${id}/reprocess`, {}, auth);
    expect(again.status).toBe(202);
    expect(again.body.stages).toEqual(["ingestion"]);
    const done = await waitFor(async () => {
      const s = await status(id);
      return s.upToDate ? s : undefined;
    }, 30_000);
    expect(done.stages.every((x) => x.state === "done")).toBe(true);
    const ingestions = await readLedger(stack.app.store, { task: "ingestion", resourceId: id });
    expect(ingestions.map((r) => r.status)).toEqual(["failed", "succeeded"]);
  }, 60_000);
});
