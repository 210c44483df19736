/**
 * Issue 14, "a lean write path": write transactions and write-lock time per
 * document, end to end (POST, every pipeline task, outbox marks, ledger rows),
 * on the in-process stack with no routing delays. Documents are posted one
 * at a time so each one's writes are its own; the meter counts every write
 * transaction of the process while they run (bench/lib/writeMeter.ts).
 */
import { instantTimings } from "../shared/src/events/routing";
import { pickDocs, variant } from "./lib/corpus";
import { runWave } from "./lib/ingest";
import { round, ms } from "./lib/stats";
import { startBenchStack } from "./lib/stack";
import { meterWrites } from "./lib/writeMeter";
import type { Benchmark, Figure } from "./lib/report";

export const writePathBench: Benchmark = async ({ quick }) => {
  const stack = await startBenchStack("writes", { routeOverrides: instantTimings() });
  try {
    await runWave(stack, pickDocs(2, 100).map((d, i) => variant(d, `warm-${i}`)), 60_000, 20);
    const docs = pickDocs(quick ? 8 : 20);
    // Quiet time before measuring: late marks of the warm-up are not counted.
    await new Promise((r) => setTimeout(r, 1_500));
    const meter = meterWrites(stack.app.store);
    for (const [i, d] of docs.entries()) await runWave(stack, [variant(d, `w${i}`)], 60_000, 20);
    // Coalesced writes (outbox marks, ledger rows) of the last document land shortly after it.
    await new Promise((r) => setTimeout(r, 1_500));
    meter.uninstall();
    const perDoc = round(meter.transactions / docs.length, 1);
    const heldPerDoc = round(meter.heldMs / docs.length, 1);
    const figures: Figure[] = [
      { ref: "issue 14", what: `write transactions per document, end to end (${docs.length} documents, c=1)`, requirement: "—", aim: "≤ 8", measured: `${perDoc}`, value: perDoc, unit: "tx", meetsAim: perDoc <= 8 },
      { ref: "issue 14", what: "write-lock time per document (statements + commit)", requirement: "—", aim: "—", measured: ms(heldPerDoc), value: heldPerDoc, unit: "ms" },
    ];
    return {
      title: "Write path per document",
      figures,
      details: { documents: docs.length, transactions: meter.transactions, heldMs: round(meter.heldMs) },
      notes: ["In-process stack, no routing delays, documents posted one at a time; every write transaction of the process counted (POST, tasks, outbox marks, ledger rows)."],
    };
  } finally {
    await stack.dispose();
  }
};
