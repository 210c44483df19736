/**
 * Counts a store's write transactions and the time each held the process's
 * write lock (from the transaction's start to its commit returning: statements
 * plus commit, without the wait for the lock), from the store's own figures
 * (`StoreStats`: every BEGIN … COMMIT once, however many writes rode in it).
 *
 * While installed it also names every write by the code that asked for it
 * (`Store.nameWriter`: the first frame of the caller's stack outside the
 * store's own plumbing, or the label the caller gave), so the count breaks
 * down by who opened each transaction and whose bookkeeping rode in it.
 */
import path from "node:path";
import type { Store, WriteKind } from "@shared/adapters/libsql/store";

export interface WriterCount {
  /** Transactions this writer opened (hosted). */
  transactions: number;
  /** Writes of this writer that rode in another's transaction. */
  riders: number;
}

export interface WriteMeter {
  transactions: number;
  heldMs: number;
  /** Bookkeeping writes (ledger rows, outbox marks) that rode in another transaction. */
  riders: number;
  /** Per writer (see above), most transactions first. */
  byWriter: Record<string, WriterCount>;
  uninstall(): void;
}

/** Frames of the store's plumbing: a write is named after the first frame that is none of these. */
const PLUMBING = /node_modules|node:|\/adapters\/libsql\/store\.ts|\/app\/unitOfWork\.ts|\/bench\/lib\/writeMeter\.ts|\/util\/mutex\.ts|^<anonymous>$|^native$/;

/** `file function` of the first frame of the current stack outside the store's plumbing. */
export function writerFromStack(kind: WriteKind, label: string | undefined): string {
  if (label) return label;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const m = /^\s*at (?:async )?(?:(.*?) \()?(.*?)(?::\d+:\d+)?\)?$/.exec(line);
    if (!m || PLUMBING.test(m[2] ?? "")) continue;
    const fn = (m[1] ?? "").replace(/^Object\./, "");
    return `${path.basename(m[2] ?? "?", ".ts")}${fn ? ` ${fn}` : ""}${kind === "write" ? "" : ` (${kind})`}`;
  }
  return `(unknown ${kind})`;
}

function diff(end: Record<string, WriterCount>, start: Record<string, WriterCount>): Record<string, WriterCount> {
  const out = Object.entries(end)
    .map(([k, v]): [string, WriterCount] => [k, { transactions: v.transactions - (start[k]?.transactions ?? 0), riders: v.riders - (start[k]?.riders ?? 0) }])
    .filter(([, v]) => v.transactions > 0 || v.riders > 0)
    .sort((a, b) => b[1].transactions - a[1].transactions || b[1].riders - a[1].riders);
  return Object.fromEntries(out);
}

export function meterWrites(store: Store): WriteMeter {
  const namedBefore = store.nameWriter;
  store.nameWriter = writerFromStack;
  const start = store.stats.snapshot();
  const startWriters = store.stats.byWriter();
  const meter: WriteMeter = {
    get transactions() {
      return store.stats.snapshot().writeTransactions - start.writeTransactions;
    },
    get heldMs() {
      return store.stats.snapshot().writeLockMs - start.writeLockMs;
    },
    get riders() {
      return store.stats.snapshot().riders - start.riders;
    },
    get byWriter() {
      return diff(store.stats.byWriter(), startWriters);
    },
    uninstall() {
      const end = store.stats.snapshot();
      const writers = diff(store.stats.byWriter(), startWriters);
      store.nameWriter = namedBefore;
      Object.defineProperties(meter, {
        transactions: { value: end.writeTransactions - start.writeTransactions },
        heldMs: { value: end.writeLockMs - start.writeLockMs },
        riders: { value: end.riders - start.riders },
        byWriter: { value: writers },
      });
    },
  };
  return meter;
}
