/**
 * Issue 14, "a lean write path": write transactions and write-lock time per
 * document, end to end (POST, every pipeline task, outbox marks, ledger rows),
 * on the in-process stack with no routing delays. Documents are posted one
 * at a time so each one's writes are its own; the store counts every write
 * transaction of the process while they run (bench/lib/writeMeter.ts). The
 * same documents run twice in one run, on a store at `synchronous=NORMAL`
 * (the default) and at FULL, so their lock times compare under the same load.
 */
import { instantTimings } from "@shared/events/routing";
import { pickDocs, variant } from "./lib/corpus";
import { runWave } from "./lib/ingest";
import { round, ms } from "./lib/stats";
import { startBenchStack } from "./lib/stack";
import { meterWrites } from "./lib/writeMeter";
import type { Benchmark, Figure } from "./lib/report";

async function measure(level: "normal" | "full", quick: boolean) {
  const stack = await startBenchStack(`writes-${level}`, { routeOverrides: instantTimings(), env: { STORE_SYNCHRONOUS: level } });
  try {
    await runWave(stack, pickDocs(2, 100).map((d, i) => variant(d, `warm-${i}`)), 60_000, 20);
    const docs = pickDocs(quick ? 8 : 20);
    // Quiet time before measuring: late marks of the warm-up are not counted.
    await new Promise((r) => setTimeout(r, 1_500));
    const meter = meterWrites(stack.app.store);
    for (const [i, d] of docs.entries()) await runWave(stack, [variant(d, `w${i}`)], 60_000, 20);
    // Bookkeeping writes (outbox marks, ledger rows) of the last document land shortly after it.
    await new Promise((r) => setTimeout(r, 1_500));
    // Whatever still waits for a transaction to ride in is counted too (its commit is this run's).
    await stack.app.store.flushGrouped();
    meter.uninstall();
    return {
      documents: docs.length,
      transactions: meter.transactions,
      riders: meter.riders,
      heldMs: round(meter.heldMs),
      perDoc: round(meter.transactions / docs.length, 1),
      heldPerDoc: round(meter.heldMs / docs.length, 1),
      ridersPerDoc: round(meter.riders / docs.length, 1),
      /** Who opened the transactions (and whose writes rode in them), per document. */
      byWriter: Object.fromEntries(
        Object.entries(meter.byWriter).map(([who, c]) => [who, { transactions: round(c.transactions / docs.length, 2), riders: round(c.riders / docs.length, 2) }]),
      ),
    };
  } finally {
    await stack.dispose();
  }
}

export const writePathBench: Benchmark = async ({ quick }) => {
  const normal = await measure("normal", quick);
  const full = await measure("full", quick);
  const n = normal.documents;
  const figures: Figure[] = [
    { ref: "issue 14", what: `write transactions per document, end to end (${n} documents, c=1)`, requirement: "—", aim: "≤ 8", measured: `${normal.perDoc}`, value: normal.perDoc, unit: "tx", meetsAim: normal.perDoc <= 8 },
    { ref: "issue 14", what: "bookkeeping writes per document riding in another transaction (ledger rows, outbox marks)", requirement: "—", aim: "—", measured: `${normal.ridersPerDoc}`, value: normal.ridersPerDoc, unit: "writes" },
    { ref: "issue 14", what: "write-lock time per document (statements + commit), synchronous=NORMAL (default)", requirement: "—", aim: "—", measured: ms(normal.heldPerDoc), value: normal.heldPerDoc, unit: "ms" },
    { ref: "issue 14", what: "write-lock time per document, synchronous=FULL (same run)", requirement: "—", aim: "—", measured: ms(full.heldPerDoc), value: full.heldPerDoc, unit: "ms" },
  ];
  return {
    title: "Write path per document",
    figures,
    details: { normal, full },
    notes: [
      "In-process stack, no routing delays, documents posted one at a time; every write transaction of the process counted by the store (POST, tasks, outbox marks, ledger rows; a group commit counts once).",
      `synchronous=FULL in the same run: ${full.perDoc} transactions per document.`,
      "Transactions per document by who opened them (synchronous=NORMAL; riders: that writer's writes that rode in another's transaction):",
      ...breakdown(normal.byWriter),
    ],
  };
};

/** One line per writer: transactions it opened per document, and its writes that rode in others'. */
function breakdown(byWriter: Record<string, { transactions: number; riders: number }>): string[] {
  return Object.entries(byWriter).map(([who, c]) => `  ${c.transactions.toFixed(2).padStart(5)} tx  ${c.riders.toFixed(2).padStart(5)} rode  ${who}`);
}
