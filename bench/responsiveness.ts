/**
 * Issue 14: does the API stay responsive while the machine works? `npm start`
 * with its defaults (one worker process per core, real routing delays), the
 * largest pages of the PostgreSQL manual posted by 4 concurrent clients while
 * GET /health is polled every 100 ms. Reports POST /resources and /health
 * latency during the import, throughput, and the peak RSS of the API process
 * and of each worker (from /proc).
 *
 * In the same run, the floor (bench/lib/floor.ts): the same pages through the
 * pipeline's own CPU work sequentially in this process, times the core count,
 * measured before and after the import (the machine's load drifts); the
 * import's throughput is reported as a share of it (issue 14: ≥ 70 %).
 * Throughput: wall (first POST → last document current, which includes the
 * routes' fixed delays: 5 s embedding debounce, 10 s quality, 20 s
 * classification) and steady (first document current → last current: the
 * rate documents come out once the pipeline is full; the fixed delays drop
 * out). The ratio is taken on the steady rate.
 */
import os from "node:os";
import { call } from "./lib/http";
import { ensurePgDocs, largestPages, distinct } from "./lib/pgPages";
import { measureFloor, type Floor } from "./lib/floor";
import { ledgerFor, PIPELINE_TASKS } from "./lib/ledger";
import { inParallel, startBenchNpmStart, untilAllCurrent } from "./lib/npmStartStack";
import { mib, sampleMemory } from "./lib/processMemory";
import { cpuSince, readAll, type ProcessCpu } from "./lib/processCpu";
import { ms, percentile, round } from "./lib/stats";
import type { Benchmark, Figure } from "./lib/report";

const CLIENTS = 4;
const HEALTH_EVERY_MS = 100;

export const responsivenessBench: Benchmark = async ({ quick }) => {
  const notes = [ensurePgDocs()];
  // The manual has ~120 pages of 30–400 KB: the 200 largest reach down to ~20 KB.
  const pages = largestPages(quick ? 60 : 200, 0, 450_000);
  // Warm-up pages of the floor: small ones from outside the set (module loads, the encoder's model).
  const warm = largestPages(3, 5_000, 20_000).map((p, i) => distinct(p, `floor-warm-${i}`));
  const floorBefore = await measureFloor(warm, pages.map((p, i) => distinct(p, `floor-a-${i}`)));
  const stack = await startBenchNpmStart("responsive");
  const memory = sampleMemory(() => stack.pids());
  // CPU and run-queue wait of the API, the queue server and the workers (their sandboxes included once reaped), over the import.
  const cpuBefore = readAll(stack.pids());
  let cpu = new Map<number, ProcessCpu>();
  const health: number[] = [];
  // Slow /health answers with the store time the API measured inside them: a slow SELECT 1 points at the store, a fast one at the loop or the CPU.
  const slowHealth: Array<{ ms: number; storeMs: number | null }> = [];
  const healthErrors: string[] = [];
  let importing = true;
  const poller = (async () => {
    while (importing) {
      const t0 = performance.now();
      try {
        const r = await call<{ store?: { latencyMs?: number } }>(stack.url, "GET", "/health");
        if (r.status !== 200) healthErrors.push(String(r.status));
        health.push(r.ms);
        if (r.ms > 100) slowHealth.push({ ms: Math.round(r.ms), storeMs: r.body.store?.latencyMs === undefined ? null : Math.round(r.body.store.latencyMs) });
      } catch (e) {
        healthErrors.push(e instanceof Error ? e.message : String(e));
      }
      const left = HEALTH_EVERY_MS - (performance.now() - t0);
      if (left > 0) await new Promise((r) => setTimeout(r, left));
    }
  })();
  const post: number[] = [];
  const ids: string[] = [];
  const postErrors: string[] = [];
  const t0 = Date.now();
  let wallMs = 0;
  let steadyMs = 0;
  let peak = new Map<number, number>();
  let workerPids: number[] = [];
  let apiStore: { busyRetries?: number; operations?: number; latencyMs?: { p50: number | null; p95: number | null } } = {};
  try {
    await inParallel(pages, CLIENTS, async (page, i) => {
      const r = await call<{ id: string }>(stack.url, "POST", "/resources", { content: distinct(page, `resp-${i}`), contentType: "text/html", title: page.name });
      post.push(r.ms);
      if (r.status === 202) ids.push(r.body.id);
      else postErrors.push(String(r.status));
    });
    await untilAllCurrent(stack.store, ids, quick ? 600_000 : 1_500_000);
    // A document is current when its last pipeline task finished (ledger), not when the poll saw it.
    const doneAt = new Map<string, number>();
    for (const r of await ledgerFor(stack.store, ids)) {
      if (r.status !== "succeeded" || !(PIPELINE_TASKS as readonly string[]).includes(r.task)) continue;
      doneAt.set(r.resourceId, Math.max(doneAt.get(r.resourceId) ?? 0, r.finishedAt));
    }
    const ends = [...doneAt.values()].sort((a, b) => a - b);
    wallMs = ends.at(-1)! - t0;
    steadyMs = ends.at(-1)! - ends[0]!;
  } finally {
    importing = false;
    await poller;
    // The API process's store: how often its writes found the file locked by a worker (retried, not errors).
    apiStore = await call<{ store?: typeof apiStore }>(stack.url, "GET", "/monitoring/db").then((r) => r.body.store ?? {}, () => ({}));
    peak = memory.stop().peak;
    cpu = cpuSince(cpuBefore);
    const workers = await stack.workers().catch(() => []);
    workerPids = workers.map((w) => w.pid).filter((x): x is number => x !== null);
    await stack.dispose();
  }
  const floorAfter = await measureFloor(warm, pages.map((p, i) => distinct(p, `floor-b-${i}`)));
  const floor: Floor = { ...floorBefore, docsPerSecondOneCore: round((floorBefore.docsPerSecondOneCore + floorAfter.docsPerSecondOneCore) / 2, 2), docsPerSecond: round((floorBefore.docsPerSecond + floorAfter.docsPerSecond) / 2, 2) };
  const wallRate = round(ids.length / (wallMs / 1000), 2);
  const steadyRate = round((ids.length - 1) / (steadyMs / 1000), 2);
  const share = round(steadyRate / floor.docsPerSecond, 3);
  const apiPeak = peak.get(stack.proc.pid);
  const cpuOf = (pids: readonly number[]) => pids.reduce((a, pid) => a + (cpu.get(pid)?.cpuMs ?? 0) + (cpu.get(pid)?.childCpuMs ?? 0), 0);
  const apiCpu = cpu.get(stack.proc.pid);
  const queuePids = [...cpu.keys()].filter((pid) => pid !== stack.proc.pid && !workerPids.includes(pid) && cpuBefore.has(pid));
  const stackCpuMs = cpuOf([...cpu.keys()]);
  const cpuPerDoc = stackCpuMs / Math.max(1, ids.length);
  const floorCpuPerDoc = (floorBefore.cpuMsPerDoc + floorAfter.cpuMsPerDoc) / 2;
  const workerPeaks = workerPids.map((p) => peak.get(p));
  const p = (xs: number[], q: number) => (xs.length ? percentile(xs, q) : Number.NaN);
  const figures: Figure[] = [
    { ref: "13.1", what: `POST /resources p50 / p99 during a ${pages.length}-page import (${CLIENTS} clients)`, requirement: "—", aim: "p99 ≤ 250 ms", measured: `${ms(p(post, 50))} / ${ms(p(post, 99))}`, value: round(p(post, 99)), unit: "ms", meetsAim: p(post, 99) <= 250 },
    { ref: "13.1", what: "GET /health p50 / p99 / max during the import (every 100 ms)", requirement: "—", aim: "p99 ≤ 100 ms", measured: `${ms(p(health, 50))} / ${ms(p(health, 99))} / ${ms(Math.max(...health))}`, value: round(p(health, 99)), unit: "ms", meetsAim: p(health, 99) <= 100 },
    { ref: "15.1", what: `import end to end with npm start's defaults (${os.availableParallelism()} workers, real delays): wall / steady docs/s`, requirement: "—", aim: "—", measured: `${wallRate} / ${steadyRate}`, value: steadyRate, unit: "docs/s" },
    { ref: "15.1", what: `floor: same pages, pipeline CPU work sequentially in one process × ${floor.cores} cores (before / after the import)`, requirement: "—", aim: "—", measured: `${floorBefore.docsPerSecond} / ${floorAfter.docsPerSecond} docs/s (${floorBefore.docsPerSecondOneCore} / ${floorAfter.docsPerSecondOneCore} on one core)`, value: floor.docsPerSecond, unit: "docs/s" },
    { ref: "15.1", what: "· steady import ÷ floor (mean of before and after); wall ÷ floor", requirement: "—", aim: "≥ 70 %", measured: `${(share * 100).toFixed(0)} %; ${((wallRate / floor.docsPerSecond) * 100).toFixed(0)} %`, value: share, unit: "ratio", meetsAim: share >= 0.7 },
    { ref: "13.1", what: "CPU during the import: API / queue server and sandboxes alive at the start / workers (with reaped sandboxes), s; API's wait for a core (run queue), s", requirement: "—", aim: "—", measured: `${round((apiCpu?.cpuMs ?? 0) / 1000, 1)} / ${round(cpuOf(queuePids) / 1000, 1)} / ${round(cpuOf(workerPids) / 1000, 1)}; ${round((apiCpu?.runQueueMs ?? 0) / 1000, 1)}`, value: round((apiCpu?.runQueueMs ?? 0) / 1000, 1), unit: "s" },
    { ref: "15.1", what: "· CPU per document: floor ÷ import (every process of the stack; the floor's own CPU, mean of before and after)", requirement: "—", aim: "—", measured: `${round(floorCpuPerDoc)} ms ÷ ${round(cpuPerDoc)} ms = ${((floorCpuPerDoc / cpuPerDoc) * 100).toFixed(0)} %`, value: round(floorCpuPerDoc / cpuPerDoc, 3), unit: "ratio" },
    { ref: "13.1", what: "peak RSS: API process / each worker (MiB)", requirement: "—", aim: "bounded", measured: `${mib(apiPeak)} / ${workerPeaks.map(mib).join(", ")}` },
  ];
  notes.push(
    `${pages.length} largest pages of the manual (${Math.round(pages.at(-1)!.bytes / 1024)}–${Math.round(pages[0]!.bytes / 1024)} KB, ${Math.round(pages.reduce((a, x) => a + x.bytes, 0) / pages.length / 1024)} KB on average), each made distinct, posted as text/html by ${CLIENTS} clients; wall time from the first POST until every document is current.`,
    `Floor per document (before the import): extraction ${floorBefore.msPerDoc.extraction} ms, embedding ${floorBefore.msPerDoc.embedding} ms, classification ${floorBefore.msPerDoc.classification} ms, quality ${floorBefore.msPerDoc.quality} ms.`,
    `API process store: ${apiStore.busyRetries ?? "?"} busy retries in ${apiStore.operations ?? "?"} operations (a write that found a worker holding the file lock, retried asynchronously); statement latency p50 / p95 ${apiStore.latencyMs?.p50 ?? "?"} / ${apiStore.latencyMs?.p95 ?? "?"} ms.`,
    `/health answers over 100 ms: ${slowHealth.length}; the slowest (total ms / SELECT 1 ms inside): ${slowHealth.sort((a, b) => b.ms - a.ms).slice(0, 5).map((x) => `${x.ms}/${x.storeMs ?? "?"}`).join(", ") || "none"}.`,
    `Errors: POST ${postErrors.length}, /health ${healthErrors.length}${healthErrors.length ? ` (${[...new Set(healthErrors)].slice(0, 3).join("; ")})` : ""}.`,
  );
  return { title: "Responsiveness during a bulk import (npm start)", figures, details: { post: { n: post.length, p50: p(post, 50), p99: p(post, 99) }, health: { n: health.length, p50: p(health, 50), p99: p(health, 99), max: Math.max(...health) }, wallMs, steadyMs, wallRate, steadyRate, floorBefore, floorAfter, share, apiStore, slowHealth, postErrors, healthErrors, apiPeak, workerPeaks, cpu: Object.fromEntries([...cpu].map(([pid, c]) => [pid, { ...c, role: pid === stack.proc.pid ? "api" : workerPids.includes(pid) ? "worker" : "other" }])), cpuPerDoc, floorCpuPerDoc }, notes };
};
