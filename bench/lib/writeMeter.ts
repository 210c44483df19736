/**
 * Counts a store's write transactions and the time each held the process's
 * write lock (from the moment the transaction body starts to its commit
 * returning: statements plus commit, without the wait for the lock). Installed
 * on one Store instance at run time; nothing in the store changes.
 */
import type { Store } from "../../shared/src/adapters/libsql/store";

export interface WriteMeter {
  transactions: number;
  heldMs: number;
  uninstall(): void;
}

export function meterWrites(store: Store): WriteMeter {
  const meter = { transactions: 0, heldMs: 0, uninstall: () => undefined as void };
  const target = store as unknown as Record<"write" | "writeBatch" | "writeRaw", (arg: unknown) => Promise<unknown>>;
  const originals = { write: target.write, writeBatch: target.writeBatch, writeRaw: target.writeRaw };
  const wrapFn = (orig: (arg: unknown) => Promise<unknown>) =>
    async function (fn: unknown) {
      meter.transactions++;
      let started = 0;
      const body = (...args: unknown[]) => {
        started = performance.now();
        return (fn as (...a: unknown[]) => unknown)(...args);
      };
      const out = await orig.call(store, body);
      if (started > 0) meter.heldMs += performance.now() - started;
      return out;
    };
  target.write = wrapFn(originals.write);
  target.writeRaw = wrapFn(originals.writeRaw);
  // writeBatch takes statements, not a function: count it, time it whole (lock wait included).
  target.writeBatch = async function (statements: unknown) {
    meter.transactions++;
    const t0 = performance.now();
    const out = await originals.writeBatch.call(store, statements);
    meter.heldMs += performance.now() - t0;
    return out;
  };
  meter.uninstall = () => {
    target.write = originals.write;
    target.writeBatch = originals.writeBatch;
    target.writeRaw = originals.writeRaw;
  };
  return meter;
}
