/**
 * The `alexandria` command as a person runs it: a child process against a
 * running stack, found through DATA_DIR/server.json (no ALEXANDRIA_URL).
 * Every command has --help; a folder with an empty and an unreadable file
 * imports the rest, names both, exits 1, and its summary's time covers the
 * whole run (the bar shows from the first file); export and re-import.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/processes";
import { startTestStack, type TestStack } from "../helpers/stack";

const KEY = "cli-test-key-123";
let stack: TestStack;
let work: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the first output to the exit. */
  outputSpanMs: number;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const { ALEXANDRIA_URL: _drop, ...inherited } = process.env;
    const child = spawn(process.execPath, [path.join(repoRoot, "local/bin/alexandria.mjs"), ...args], {
      cwd: work,
      env: { ...inherited, DATA_DIR: stack.dataDir, API_KEY: KEY, LOG_LEVEL: "silent", ...env },
    });
    let stdout = "";
    let stderr = "";
    let first = 0;
    child.stdout.on("data", (c: Buffer) => {
      first ||= Date.now();
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr, outputSpanMs: first ? Date.now() - first : 0 }));
  });
}

beforeAll(async () => {
  // Private networks allowed: the flaky source below listens on loopback.
  stack = await startTestStack({ env: { API_KEY: KEY, ALLOW_PRIVATE_NETWORKS: "true" } });
  work = mkdtempSync(path.join(os.tmpdir(), "alexandria-cli-"));
  const folder = path.join(work, "notes");
  mkdirSync(folder);
  writeFileSync(path.join(folder, "a-backups.md"), "# Backups\n\nDump the database to a file every night and keep a week of dumps.\n");
  writeFileSync(path.join(folder, "b-vacuum.txt"), "Vacuum reclaims the storage taken by deleted rows; run it regularly so tables stay small.\n");
  writeFileSync(path.join(folder, "c-empty.txt"), "");
  symlinkSync(path.join(work, "nowhere.html"), path.join(folder, "d-broken.html"));
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("alexandria", () => {
  it("has --help for every command", async () => {
    for (const command of ["start", "ingest", "search", "show", "status", "duplicates", "export", "import", "dlq", "run-job", "warm"]) {
      const run = await cli([command, "--help"]);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toMatch(new RegExp(`^Usage: alexandria ${command}`));
    }
    const overview = await cli([]);
    expect(overview.stdout).toContain("ALEXANDRIA_URL");
    expect((await cli(["nonsense"])).code).toBe(2);
  }, 120_000);

  it("imports a folder, naming the empty and the unreadable file, and exits 1", async () => {
    const run = await cli(["ingest", "notes"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    // The bar is there from the first file, before anything was uploaded.
    expect(run.stdout.split("\n")[0]).toMatch(/^\[-+\] 0\/4 uploading/);
    expect(run.stdout).toMatch(/failed: notes\/c-empty\.txt: the file is empty/);
    expect(run.stdout).toMatch(/failed: notes\/d-broken\.html: cannot read: ENOENT/);
    const summary = /2 current, 2 failed in ([\d.]+) s/.exec(run.stdout);
    expect(summary, run.stdout).not.toBeNull();
    // The time covers the whole run: uploads included, not just the wait afterwards.
    expect(Number(summary![1]) * 1000).toBeGreaterThanOrEqual(run.outputSpanMs - 300);
    const search = await cli(["search", "--mode", "keyword", "vacuum"]);
    expect(search.code).toBe(0);
    expect(search.stdout).toContain(`from: ${path.join(work, "notes", "b-vacuum.txt")}`);
  }, 180_000);

  it("says that a waiting item is retrying, and why", async () => {
    let calls = 0;
    const flaky = http.createServer((_req, res) => {
      calls++;
      if (calls <= 2) res.writeHead(503, { "content-type": "text/plain" }).end("busy");
      else res.writeHead(200, { "content-type": "text/plain" }).end("Checkpoints flush dirty buffers to disk so that crash recovery replays less of the log.");
    });
    await new Promise<void>((r) => flaky.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/checkpoints.txt`;
      const run = await cli(["ingest", url]);
      expect(run.stdout).toMatch(new RegExp(`waiting: ${url.replace(/[.?]/g, "\\$&")}: ingestion attempt \\d+ failed: .*503.*; retrying`));
      expect(run.stdout).toContain("1 current, 0 failed");
      expect(run.code).toBe(0);
    } finally {
      flaky.close();
    }
  }, 120_000);

  it("tells where it looked when no server answers", async () => {
    const run = await cli(["search", "x"], { ALEXANDRIA_URL: "http://127.0.0.1:9" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot reach http://127.0.0.1:9 (from ALEXANDRIA_URL)");
  });

  it("exports the library and re-imports it without changing anything", async () => {
    const exported = await cli(["export"]);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split("\n").map((l) => JSON.parse(l) as { kind: string });
    // The two files of the folder and the document of the flaky source.
    expect(lines.map((l) => l.kind)).toEqual(["header", "resource", "resource", "resource"]);
    writeFileSync(path.join(work, "library.ndjson"), exported.stdout);
    const imported = await cli(["import", "library.ndjson"]);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("3 records: 0 created, 0 updated, 3 unchanged, 0 skipped");
    writeFileSync(path.join(work, "broken.ndjson"), `${exported.stdout}{not json\n`);
    const broken = await cli(["import", "broken.ndjson"]);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/skipped: line 5: invalid/);
  }, 120_000);
});
