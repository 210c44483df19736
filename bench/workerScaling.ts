/**
 * Issue 14 / requirement 15.1: worker scaling on real pages. For 1, 2 and 4
 * worker processes, a fresh `npm start` (WORKERS=n, no routing delays) ingests
 * the same large PostgreSQL manual pages posted at once; throughput runs from
 * the first POST to the last pipeline task's end (ledger). Targets: 2 workers
 * ≥ 1.7 × one worker; 4 not slower than 2. On a 2-core machine 4 workers
 * share 2 cores with the API and the queue server.
 *
 * Each round also reports the cores the stack kept busy (CPU seconds of every
 * process of it, reaped sandboxes included, ÷ wall): one worker process is not
 * one core — its encoder thread and its extraction sandboxes run beside its
 * loop — so "2 workers ÷ 1" is read beside "cores busy with 2 ÷ with 1".
 */
import { instantTimings } from "@shared/events/routing";
import { call } from "./lib/http";
import { ensurePgDocs, largestPages, distinct } from "./lib/pgPages";
import { inParallel, startBenchNpmStart, untilAllCurrent } from "./lib/npmStartStack";
import { ledgerFor, PIPELINE_TASKS } from "./lib/ledger";
import { cpuSince, readAll } from "./lib/processCpu";
import { round } from "./lib/stats";
import type { Benchmark, Figure } from "./lib/report";

const COUNTS = [1, 2, 4] as const;

async function round1(workers: number, pages: ReturnType<typeof largestPages>, tag: string): Promise<{ docsPerSecond: number; wallMs: number; coresBusy: number }> {
  const stack = await startBenchNpmStart(`scale${workers}`, { workers, env: { ROUTE_OVERRIDES: JSON.stringify(instantTimings()) } });
  try {
    // Warm-up (not measured): the workers load their modules on their first tasks.
    const warm: string[] = [];
    await inParallel(pages.slice(0, workers * 2), 4, async (page, i) => {
      const r = await call<{ id: string }>(stack.url, "POST", "/resources", { content: distinct(page, `${tag}-warm-${i}`), contentType: "text/html" });
      warm.push(r.body.id);
    });
    await untilAllCurrent(stack.store, warm, 600_000);
    const ids: string[] = [];
    const cpuBefore = readAll(stack.pids());
    const start = Date.now();
    await inParallel(pages, 8, async (page, i) => {
      const r = await call<{ id: string }>(stack.url, "POST", "/resources", { content: distinct(page, `${tag}-${i}`), contentType: "text/html" });
      if (r.status !== 202) throw new Error(`POST → ${r.status}`);
      ids.push(r.body.id);
    });
    await untilAllCurrent(stack.store, ids, 1_200_000);
    const cpuMs = [...cpuSince(cpuBefore).values()].reduce((sum, p) => sum + p.cpuMs + p.childCpuMs, 0);
    const rows = (await ledgerFor(stack.store, ids)).filter((r) => (PIPELINE_TASKS as readonly string[]).includes(r.task) && r.status === "succeeded");
    const wallMs = Math.max(...rows.map((r) => r.finishedAt)) - start;
    return { docsPerSecond: round(ids.length / (wallMs / 1000), 2), wallMs, coresBusy: round(cpuMs / (Date.now() - start), 2) };
  } finally {
    await stack.dispose();
  }
}

export const workerScalingBench: Benchmark = async ({ quick }) => {
  const notes = [ensurePgDocs()];
  const pages = largestPages(quick ? 40 : 120);
  const rounds: Record<number, { docsPerSecond: number; wallMs: number; coresBusy: number }> = {};
  for (const n of COUNTS) rounds[n] = await round1(n, pages, `w${n}`);
  const thr = (n: number) => rounds[n]!.docsPerSecond;
  const figures: Figure[] = [
    { ref: "15.1", what: `real pages, docs/s with 1 / 2 / 4 worker processes (${pages.length} pages)`, requirement: "linear", aim: "—", measured: COUNTS.map((n) => thr(n).toFixed(2)).join(" / "), value: thr(2), unit: "docs/s" },
    { ref: "15.1", what: "· 2 workers ÷ 1 worker", requirement: "—", aim: "≥ 1.7×", measured: `${(thr(2) / thr(1)).toFixed(2)}×`, value: round(thr(2) / thr(1)), unit: "ratio", meetsAim: thr(2) / thr(1) >= 1.7 },
    { ref: "15.1", what: "· 4 workers ÷ 2 workers", requirement: "—", aim: "≥ 1.0×", measured: `${(thr(4) / thr(2)).toFixed(2)}×`, value: round(thr(4) / thr(2)), unit: "ratio", meetsAim: thr(4) / thr(2) >= 1 },
    { ref: "15.1", what: "· cores the stack kept busy with 1 / 2 / 4 workers (CPU ÷ wall)", requirement: "—", aim: "—", measured: COUNTS.map((n) => rounds[n]!.coresBusy.toFixed(2)).join(" / "), value: rounds[1]!.coresBusy, unit: "cores" },
  ];
  notes.push(
    `Each round: a fresh npm start with WORKERS=n and no routing delays, ${pages.length} of the largest manual pages posted by 8 clients after a small warm-up; wall time from the first POST to the last pipeline task's end (ledger).`,
    "The API and the queue server are processes of their own and share the cores with the workers.",
  );
  return { title: "Worker scaling on real pages (npm start)", figures, details: { rounds }, notes };
};
