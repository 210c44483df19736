/**
 * One commit per task: the task ledger row goes into the task's own write
 * transaction, with the task's change and the outbox rows of the events it
 * announces (issue 14, "writers that don't fight").
 *
 * The runner opens a scope around each task run (`runInLedgerScope`). A task's
 * final write (`writeWithEvents` given an `outcome`) asks the scope to record,
 * inside that transaction, the result the task will return if nothing after
 * the commit fails. Once the transaction committed, the runner knows the row
 * is there: if the task then returns that same result nothing more is
 * written; if it returns another one, or throws (a retry, a failure), the
 * runner corrects the row (a bookkeeping write, `Store.writeGrouped`). A task
 * whose run writes nothing (a skip, a cache invalidation) gets its row that
 * way too, riding in the next write transaction of the process.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { eq } from "drizzle-orm";
import { taskRuns } from "../adapters/libsql/schema";
import type { Tx } from "../adapters/libsql/store";
import type { TaskResult } from "./types";

export type LedgerRow = typeof taskRuns.$inferInsert;

/** What a task's final transaction says it did: one result, or one per event of a batch run. */
export type TaskOutcome = TaskResult | readonly TaskResult[];

export class LedgerScope {
  /** Rows written in a transaction not yet known to have committed. */
  #pending: Array<{ id: number; result: TaskResult }> | null = null;
  /** Rows a committed transaction of this run holds, by event (position in `events`). */
  #recorded: Array<{ id: number; result: TaskResult }> | null = null;

  /**
   * @param rowFor the ledger row of the `k`th event of the run for a result, timed now.
   * @param events how many events the run handles (1, or a batch's size).
   */
  constructor(
    private readonly rowFor: (k: number, result: TaskResult) => LedgerRow,
    private readonly events: number,
  ) {}

  /** Inside the task's transaction: write (or rewrite) the run's ledger rows for `outcome`. */
  async record(tx: Tx, outcome: TaskOutcome): Promise<void> {
    const results = Array.isArray(outcome) ? (outcome as readonly TaskResult[]) : [outcome as TaskResult];
    if (results.length !== this.events) throw new Error(`task outcome has ${results.length} results for ${this.events} events`);
    const earlier = this.#recorded;
    const rows = results.map((r, k) => this.rowFor(k, r));
    const pending: Array<{ id: number; result: TaskResult }> = [];
    for (const [k, row] of rows.entries()) {
      const before = earlier?.[k];
      if (before) {
        // A second transaction of the same run: its row, not a second one.
        await tx.update(taskRuns).set(row).where(eq(taskRuns.id, before.id));
        pending.push({ id: before.id, result: results[k]! });
      } else {
        const [inserted] = await tx.insert(taskRuns).values(row).returning({ id: taskRuns.id });
        pending.push({ id: inserted!.id, result: results[k]! });
      }
    }
    this.#pending = pending;
  }

  /** The transaction that called `record` committed (or not: then its rows are not there). */
  settle(committed: boolean): void {
    if (committed && this.#pending) this.#recorded = this.#pending;
    this.#pending = null;
  }

  /** The committed row of the `k`th event and the result it states, if the task's transaction wrote one. */
  recorded(k: number): { id: number; result: TaskResult } | undefined {
    return this.#recorded?.[k];
  }
}

const scopes = new AsyncLocalStorage<LedgerScope>();

/** Runs a task's work with `scope` as the ledger scope its writes see. */
export function runInLedgerScope<T>(scope: LedgerScope, fn: () => Promise<T>): Promise<T> {
  return scopes.run(scope, fn);
}

/** The ledger scope of the task run this code is part of, if any (none in a request or a job). */
export function currentLedgerScope(): LedgerScope | undefined {
  return scopes.getStore();
}

/** Same status, revision and reason: the row already says what the task returned. */
export function sameResult(a: TaskResult, b: TaskResult): boolean {
  return a.status === b.status && (a.revision ?? null) === (b.revision ?? null) && (a.reason ?? null) === (b.reason ?? null);
}
