/**
 * The heavy compute of a worker process — the sentence encoder's thread and
 * the extraction sandboxes — runs BACKGROUND_NICE_STEP below the worker's own
 * loop, when the worker runs at a lowered priority at all (local worker
 * processes, WORKER_NICE; local/src/workers/priority.ts).
 *
 * Why: in a bulk import the encoder and the parsers keep both cores busy, and
 * the worker's loop then waits for a core like everything else — but its work
 * is the short, urgent part: the search index's writes (a page is keyword-
 * searchable only after them), ledger commits, the next message's receive.
 * One step lower, the kernel runs the loop first and the encoder and parsers
 * still get every cycle it leaves. A process at the default priority (the API
 * process, which embeds queries; a Lambda) is left alone.
 */
import os from "node:os";

export const BACKGROUND_NICE_STEP = 5;

/** Lowers `pid` (a child process; 0 = the calling thread) one step below the calling thread, if that thread runs lowered. */
export function runBelowOwnPriority(pid = 0): void {
  try {
    const own = os.getPriority();
    if (own > 0) os.setPriority(pid, Math.min(19, own + BACKGROUND_NICE_STEP));
  } catch {
    // Not permitted or not supported here: it runs at the inherited priority.
  }
}
