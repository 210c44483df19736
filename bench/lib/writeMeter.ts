/**
 * Counts a store's write transactions and the time each held the process's
 * write lock (from the transaction's start to its commit returning: statements
 * plus commit, without the wait for the lock), from the store's own figures
 * (`StoreStats`: every BEGIN … COMMIT once, however many writes rode in it).
 */
import type { Store } from "@shared/adapters/libsql/store";

export interface WriteMeter {
  transactions: number;
  heldMs: number;
  /** Bookkeeping writes (ledger rows, outbox marks) that rode in another transaction. */
  riders: number;
  uninstall(): void;
}

export function meterWrites(store: Store): WriteMeter {
  const start = store.stats.snapshot();
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
    uninstall() {
      const end = store.stats.snapshot();
      Object.defineProperties(meter, {
        transactions: { value: end.writeTransactions - start.writeTransactions },
        heldMs: { value: end.writeLockMs - start.writeLockMs },
        riders: { value: end.riders - start.riders },
      });
    },
  };
  return meter;
}
