/**
 * Benchmark 1 (requirement 13.1): concurrent ingestion through the HTTP API
 * into an in-process local stack (API, outbox relay, fauxqs, one poller per
 * route), with every queue delay set to 0 so the figures measure throughput,
 * not the requirement's debounce windows (the requirement-delay figure is in
 * the freshness benchmark, which runs with the real delays).
 *
 * Waves of c documents (c = 1, 10, 100) are posted at once; a document is done
 * when GET /resources/{id}/status would say upToDate. Its completion time is
 * the finish of the last successful pipeline task in the ledger (no polling
 * granularity); the wave's wall time is from its first POST to its last
 * completion. Throughput at c = documents / summed wall time of c's waves.
 */
import { instantTimings } from "@shared/events/routing";
import { pickDocs, variant } from "./lib/corpus";
import { sleep } from "./lib/http";
import { runWave, type Wave } from "./lib/ingest";
import { PIPELINE_TASKS } from "./lib/ledger";
import { mean, ms, pct, round, summarize } from "./lib/stats";
import { startBenchStack } from "./lib/stack";
import { meterWrites } from "./lib/writeMeter";
import type { Benchmark, Figure } from "./lib/report";

function phaseFigures(waves: Wave[]) {
  const docs = waves.flatMap((w) => w.docs);
  const wall = waves.reduce((a, w) => a + w.wallMs, 0);
  return {
    documents: docs.length,
    waves: waves.length,
    wallMs: round(wall),
    throughputDocsPerS: round(docs.length / (wall / 1000)),
    latencyMs: summarize(docs.map((d) => d.e2eMs)),
    postMs: summarize(docs.map((d) => d.postMs)),
    workPerDocMs: round(mean(docs.map((d) => d.workMs))),
    /** Σ task durations / end-to-end (tasks of one document may overlap). */
    workShareSum: round(mean(docs.map((d) => d.workMs / d.e2eMs))),
    /** Time some task of the document was running / end-to-end. */
    workShareBusy: round(mean(docs.map((d) => d.busyMs / d.e2eMs))),
    attemptsPerDoc: round(mean(docs.map((d) => d.attempts))),
    perTaskMeanMs: Object.fromEntries(PIPELINE_TASKS.map((t) => [t, round(mean(docs.map((d) => d.perTask[t] ?? 0)), 1)])),
  };
}

export const ingestionBench: Benchmark = async ({ quick }) => {
  const stack = await startBenchStack("ingest", { routeOverrides: instantTimings() });
  const notes: string[] = [];
  try {
    const corpus = pickDocs(100);
    // Warm-up (not measured): module loading, JIT, first FTS and vector writes.
    await runWave(stack, pickDocs(3, 100).map((d, i) => variant(d, `warm-${i}`)), 60_000, 25);

    const plan = [
      { c: 1, waves: quick ? 5 : 12, pollMs: 20 },
      { c: 10, waves: quick ? 2 : 4, pollMs: 25 },
      { c: 100, waves: 1, pollMs: 50 },
    ];
    const phases: Record<string, ReturnType<typeof phaseFigures>> = {};
    const writes: Record<string, { transactionsPerDoc: number; heldMsPerDoc: number }> = {};
    for (const { c, waves: n, pollMs } of plan) {
      const meter = meterWrites(stack.app.store);
      const waves: Wave[] = [];
      for (let w = 0; w < n; w++) {
        const contents = Array.from({ length: c }, (_, i) => variant(corpus[(w * c + i) % corpus.length]!, `c${c}w${w}d${i}`));
        waves.push(await runWave(stack, contents, 300_000, pollMs));
        await sleep(200);
      }
      meter.uninstall();
      phases[`c${c}`] = phaseFigures(waves);
      // Every write transaction of the process in the phase: the pipeline, the outbox marks and the ledger rows.
      writes[`c${c}`] = { transactionsPerDoc: round(meter.transactions / (c * n), 1), heldMsPerDoc: round(meter.heldMs / (c * n), 1) };
    }
    const w1 = writes.c1!;
    const w100 = writes.c100!;
    const p1 = phases.c1!;
    const p10 = phases.c10!;
    const p100 = phases.c100!;
    const degradation = 1 - p100.throughputDocsPerS / p1.throughputDocsPerS;
    const vsBest = p100.throughputDocsPerS / p10.throughputDocsPerS - 1;
    const workInflation = p100.workPerDocMs / p1.workPerDocMs - 1;
    const overhead1 = 1 - p1.workShareBusy;

    const figures: Figure[] = [
      {
        ref: "13.1",
        what: "100 concurrent ingestions: POST → all upToDate (delays 0)",
        requirement: "—",
        aim: "—",
        measured: ms(p100.wallMs),
        value: p100.wallMs,
        unit: "ms",
      },
      {
        ref: "13.1",
        what: "throughput at concurrency 1 / 10 / 100 (docs/s)",
        requirement: "—",
        aim: "—",
        measured: `${p1.throughputDocsPerS.toFixed(2)} / ${p10.throughputDocsPerS.toFixed(2)} / ${p100.throughputDocsPerS.toFixed(2)}`,
        value: p100.throughputDocsPerS,
        unit: "docs/s",
      },
      {
        ref: "13.1",
        what: "degradation: 1 − throughput(100)/throughput(1)",
        requirement: "≤ 10%",
        aim: "≤ 5%",
        measured: `${degradation <= 0 ? `none (${(p100.throughputDocsPerS / p1.throughputDocsPerS).toFixed(1)}× c=1)` : pct(degradation)}; vs c=10 ${vsBest >= 0 ? "+" : ""}${pct(vsBest, 0)}`,
        value: round(degradation),
        unit: "ratio",
        meetsAim: degradation <= 0.05,
      },
      {
        ref: "13.1",
        what: "task work per document, c=100 vs c=1 (ledger Σ)",
        requirement: "—",
        aim: "—",
        measured: `${ms(p100.workPerDocMs)} vs ${ms(p1.workPerDocMs)} (${workInflation >= 0 ? "+" : ""}${pct(workInflation, 0)})`,
        value: round(workInflation),
        unit: "ratio",
      },
      {
        ref: "13.1",
        what: "per-document latency p50, c=1 / c=10 / c=100",
        requirement: "—",
        aim: "—",
        measured: `${ms(p1.latencyMs.p50)} / ${ms(p10.latencyMs.p50)} / ${ms(p100.latencyMs.p50)}`,
        value: p100.latencyMs.p50,
        unit: "ms",
      },
      {
        ref: "13.1",
        what: "c=1: machinery overhead (busy-time share | Σ task/e2e)",
        requirement: "—",
        aim: "< 15%",
        measured: `${pct(overhead1)} (${pct(p1.workShareBusy)} | ${pct(p1.workShareSum)})`,
        value: round(overhead1),
        unit: "ratio",
        meetsAim: overhead1 < 0.15,
      },
      {
        ref: "13.1",
        what: "c=100: share of e2e in task work (busy | Σ)",
        requirement: "—",
        aim: "—",
        measured: `${pct(p100.workShareBusy)} | ${pct(p100.workShareSum)}`,
        value: p100.workShareBusy,
        unit: "ratio",
      },
      {
        ref: "13.1",
        what: "store writes per document: transactions, lock held",
        requirement: "—",
        aim: "—",
        measured: `${w1.transactionsPerDoc} tx, ${ms(w1.heldMsPerDoc)} (c=1); ${ms(w100.heldMsPerDoc)} (c=100)`,
        value: w1.heldMsPerDoc,
        unit: "ms",
      },
    ];
    notes.push(
      `Writes are serialised per process (and by SQLite's file lock across processes): ${ms(w100.heldMsPerDoc)} of write-lock time per document at c=100 caps one store near ${(1000 / w100.heldMsPerDoc).toFixed(1)} docs/s, whatever the CPU.`,
      "Queue delays and batch windows 0 (instantTimings): throughput, not the requirement's debounce windows.",
      `Documents: ${new Set(corpus.map((d) => d.name)).size} distinct node_modules READMEs (3–40 KB), each copy marked with one line so no copy reuses another's embedding.`,
      "Overhead = 1 − (union of the document's task intervals in the ledger) / (POST → last pipeline task finished). At c=100 most of the rest is waiting for a free poller slot on 2 cores, not machinery.",
    );
    return { title: "100 concurrent ingestions", figures, details: { phases, writes }, notes };
  } finally {
    await stack.dispose();
  }
};
