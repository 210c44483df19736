/**
 * Worker processes lower their own scheduling priority, every thread of
 * them, and what they start later inherits it (local/src/workers/priority.ts).
 * Run in a child process: lowering this test process could not be undone.
 * Linux only (per-thread nice values in /proc).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../helpers/processes";
import { BACKGROUND_NICE_STEP } from "@shared/util/backgroundPriority";

const linux = existsSync("/proc/self/task");

/** In a fresh Node process: lower to `nice`, then start a worker thread and a child process; report every thread's nice. */
function niceValuesAfter(nice: number): { before: number[]; threads: number[]; laterThread: number; child: number } {
  const module = path.join(repoRoot, "local/src/workers/priority.ts");
  const script = `
    const { readdirSync, readFileSync } = require("node:fs");
    const { Worker } = require("node:worker_threads");
    const { execFileSync } = require("node:child_process");
    const niceOf = (pid, tid) => Number(readFileSync("/proc/" + pid + "/task/" + tid + "/stat", "utf8").split(") ")[1].split(" ")[16]);
    const all = (pid) => readdirSync("/proc/" + pid + "/task").map((t) => niceOf(pid, t));
    (async () => {
      const before = all(process.pid);
      const { lowerOwnPriority } = await import(${JSON.stringify(module)});
      lowerOwnPriority(${nice});
      const threads = all(process.pid);
      const laterThread = await new Promise((resolve) => {
        const w = new Worker("const { parentPort, threadId } = require('node:worker_threads'); const fs = require('node:fs'); const tid = fs.readlinkSync('/proc/thread-self').split('/').pop(); parentPort.postMessage(Number(fs.readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[16]));", { eval: true });
        w.once("message", (n) => { resolve(n); void w.terminate(); });
      });
      const child = Number(execFileSync("sh", ["-c", "cut -d' ' -f19 /proc/self/stat"], { encoding: "utf8" }).trim());
      process.stdout.write(JSON.stringify({ before, threads, laterThread, child }));
    })();
  `;
  return JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: repoRoot, encoding: "utf8" })) as ReturnType<typeof niceValuesAfter>;
}

describe.runIf(linux)("worker priority", () => {
  it("lowers every thread of the process, and threads and processes started later inherit it", () => {
    const r = niceValuesAfter(7);
    expect(r.before.length).toBeGreaterThan(1);
    expect(r.before.every((n) => n < 7)).toBe(true);
    expect(r.threads.every((n) => n === 7)).toBe(true);
    expect(r.laterThread).toBe(7);
    expect(r.child).toBe(7);
  });

  it("leaves the priority alone at 0", () => {
    const r = niceValuesAfter(0);
    expect(r.threads.every((n) => n === r.before[0])).toBe(true);
  });
});

/** In a fresh Node process lowered to `nice`: embed one text (the encoder's thread) and extract one page (a sandbox child); report nice values. */
function heavyComputeNice(nice: number): { threads: number[]; sandboxChildren: number[] } {
  const module = (name: string) => JSON.stringify(path.join(repoRoot, name));
  const script = `
    const { readdirSync, readFileSync } = require("node:fs");
    const niceOf = (pid, tid) => Number(readFileSync("/proc/" + pid + "/task/" + tid + "/stat", "utf8").split(") ")[1].split(" ")[16]);
    const all = (pid) => readdirSync("/proc/" + pid + "/task").map((t) => niceOf(pid, t));
    (async () => {
      const { lowerOwnPriority } = await import(${module("local/src/workers/priority.ts")});
      const { createSentenceEncoder } = await import(${module("shared/src/adapters/embedders/sentenceEncoder/index.ts")});
      const { extractInSandbox } = await import(${module("shared/src/ingest/sandbox.ts")});
      lowerOwnPriority(${nice});
      const encoder = createSentenceEncoder();
      await encoder.embed(["a sentence to embed"]);
      await extractInSandbox({ bytes: new TextEncoder().encode("plain words"), contentType: "text/plain" });
      const sandboxChildren = [];
      for (const pid of readdirSync("/proc").filter((n) => /^\\d+$/.test(n))) {
        try {
          const stat = readFileSync("/proc/" + pid + "/stat", "utf8");
          const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
          if (parent === process.pid && readFileSync("/proc/" + pid + "/cmdline", "utf8").includes("sandboxWorker")) sandboxChildren.push(niceOf(pid, pid));
        } catch {}
      }
      process.stdout.write(JSON.stringify({ threads: all(process.pid), sandboxChildren }));
      await encoder.close();
      process.exit(0);
    })();
  `;
  return JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: repoRoot, encoding: "utf8" })) as ReturnType<typeof heavyComputeNice>;
}

describe.runIf(linux)("heavy compute below a lowered worker (shared/src/util/backgroundPriority.ts)", () => {
  it("runs the encoder's thread and the extraction sandbox one step below the worker's loop", () => {
    const r = heavyComputeNice(7);
    const below = 7 + BACKGROUND_NICE_STEP;
    // Exactly one thread (the encoder's) below the worker's own priority; every other thread at it.
    expect(r.threads.filter((n) => n === below)).toHaveLength(1);
    expect(r.threads.filter((n) => n !== below).every((n) => n === 7)).toBe(true);
    expect(r.sandboxChildren.length).toBeGreaterThan(0);
    expect(r.sandboxChildren.every((n) => n === below)).toBe(true);
  });

  it("leaves them alone in a process at the default priority (the API process embeds queries)", () => {
    const r = heavyComputeNice(0);
    expect(r.threads.every((n) => n === r.threads[0])).toBe(true);
    expect(r.sandboxChildren.every((n) => n === r.threads[0])).toBe(true);
  });
});
