/**
 * Requirement 8 translated: the libSQL client is the pool. This wraps it so
 * that concurrent statements are bounded, a health check runs before use after
 * an idle period (the "pre-ping"), and operation counts, latency and errors are
 * recorded for `GET /monitoring/db` and the periodic log line.
 */
import type { Client } from "@libsql/client";
import { LatencyWindow } from "../../util/latency";
import { Semaphore } from "../../util/semaphore";

export interface StoreStatsSnapshot {
  operations: number;
  errors: number;
  inFlight: number;
  waiting: number;
  maxConcurrency: number;
  latencyMs: { p50: number | null; p95: number | null };
  healthChecks: number;
  /** Write transactions that found the file locked by another process and were retried (not errors). */
  busyRetries: number;
  /** Write transactions committed (or attempted) by this process: every BEGIN … COMMIT, group commits counted once. */
  writeTransactions: number;
  /** Time this process held its write lock: from a transaction's first statement to its commit returning. */
  writeLockMs: number;
  /** Bookkeeping writes (ledger rows, outbox marks) that rode in another write's transaction instead of one of their own. */
  riders: number;
  lastError: string | null;
}

const COUNTED = new Set(["execute", "batch", "transaction", "migrate", "executeMultiple"]);

export class StoreStats {
  #operations = 0;
  #errors = 0;
  #healthChecks = 0;
  #busyRetries = 0;
  #writeTransactions = 0;
  #writeLockMs = 0;
  #riders = 0;
  readonly #byWriter = new Map<string, { transactions: number; riders: number }>();
  #lastError: string | null = null;
  #lastUse = Date.now();
  readonly #latency = new LatencyWindow(2048);
  readonly #gate: Semaphore;

  constructor(
    readonly maxConcurrency: number,
    readonly idleCheckMs: number,
  ) {
    this.#gate = new Semaphore(maxConcurrency);
  }

  snapshot(): StoreStatsSnapshot {
    return {
      operations: this.#operations,
      errors: this.#errors,
      inFlight: this.#gate.active,
      waiting: this.#gate.waiting,
      maxConcurrency: this.maxConcurrency,
      latencyMs: { p50: this.#latency.percentile(50), p95: this.#latency.percentile(95) },
      healthChecks: this.#healthChecks,
      busyRetries: this.#busyRetries,
      writeTransactions: this.#writeTransactions,
      writeLockMs: this.#writeLockMs,
      riders: this.#riders,
      lastError: this.#lastError,
    };
  }

  busyRetry(): void {
    this.#busyRetries++;
  }

  /** One write transaction that held the process's write lock for `heldMs`, carrying `riders` bookkeeping writes. */
  writeTransaction(heldMs: number, riders = 0): void {
    this.#writeTransactions++;
    this.#writeLockMs += heldMs;
    this.#riders += riders;
  }

  /**
   * Diagnostics (`Store.nameWriter` set): one transaction hosted by `host`,
   * carrying bookkeeping writes of `riders` (by name).
   */
  countWriter(host: string, riders: readonly string[]): void {
    this.#writer(host).transactions++;
    for (const r of riders) this.#writer(r).riders++;
  }

  /** Per writer name: transactions it hosted (opened) and writes of it that rode in another's. Empty unless writers are named. */
  byWriter(): Record<string, { transactions: number; riders: number }> {
    return Object.fromEntries([...this.#byWriter].map(([k, v]) => [k, { ...v }]));
  }

  #writer(name: string): { transactions: number; riders: number } {
    let w = this.#byWriter.get(name);
    if (!w) this.#byWriter.set(name, (w = { transactions: 0, riders: 0 }));
    return w;
  }

  /** A client that behaves like `raw` but is bounded and measured. */
  instrument(raw: Client): Client {
    return new Proxy(raw, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        const fn = value as (...args: unknown[]) => unknown;
        if (typeof prop !== "string" || !COUNTED.has(prop)) return fn.bind(target);
        return (...args: unknown[]) => this.#measure(target, () => fn.apply(target, args) as Promise<unknown>);
      },
    });
  }

  async #measure<T>(raw: Client, op: () => Promise<T>): Promise<T> {
    return this.#gate.run(async () => {
      if (Date.now() - this.#lastUse > this.idleCheckMs) {
        this.#healthChecks++;
        // Pre-ping: a remote libSQL connection may have gone away while idle; the client reconnects on this call.
        await raw.execute("SELECT 1").catch(() => undefined);
      }
      const t0 = performance.now();
      this.#operations++;
      try {
        return await op();
      } catch (e) {
        this.#errors++;
        this.#lastError = e instanceof Error ? e.message : String(e);
        throw e;
      } finally {
        this.#lastUse = Date.now();
        this.#latency.add(performance.now() - t0);
      }
    });
  }
}
