/**
 * The store: one libSQL client per process (a local file or a libSQL server),
 * a drizzle view over it, and `write()` for atomic changes. Migrations run at
 * start (`migrate`), from the list compiled into the code. Figures for
 * monitoring come from `stats()`. `terms` tokenizes like the full-text index,
 * through this same client.
 */
import path from "node:path";
import { mkdirSync } from "node:fs";
import { createClient, type Client, type InStatement, type Transaction } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { Mutex } from "../../util/mutex";
import { FtsTerms } from "./ftsTerms";
import { embeddedMigrations } from "./migrations.generated";
import { applyMigrations, type EmbeddedMigration } from "./migrator";
import { schema } from "./schema";
import { StoreStats } from "./storeStats";

export type Db = LibSQLDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface StoreOptions {
  url: string;
  authToken?: string | undefined;
  /** Concurrent statements allowed (requirement 8: a bounded pool). */
  maxConcurrency?: number;
  /** Idle time after which the next use runs a health check first. */
  idleCheckMs?: number;
  /**
   * How long SQLite itself waits for a file lock another process holds. The
   * wait blocks this process's event loop (the driver is synchronous), so it
   * is short; longer waits are async retries (`write`). Default
   * STORE_BUSY_TIMEOUT_MS or 100 ms.
   */
  busyTimeoutMs?: number;
  /**
   * Group-commit window of bookkeeping writes (`writeGrouped`). 0: each waits
   * for its own commit and callers await it (AWS Lambda, frozen between
   * invocations, must not leave writes on a timer).
   */
  groupCommitMs?: number;
}

/** How long bookkeeping writes wait for company before their shared commit (default). */
const GROUP_COMMIT_MS = 20;

/** Async retries of a write that found the file locked: ~2 minutes in all, then the error is real. */
const BUSY_RETRY_LIMIT = 60;
const BUSY_RETRY_MAX_DELAY_MS = 2_000;

/** SQLITE_BUSY / SQLITE_LOCKED and their extended codes, as the libSQL client reports them. */
export function isBusyError(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur && depth < 4; depth++) {
    const code = (cur as { code?: unknown }).code;
    const message = cur instanceof Error ? cur.message : String(cur);
    if ((typeof code === "string" && /SQLITE_(BUSY|LOCKED)/.test(code)) || /SQLITE_BUSY|database is locked|database table is locked/i.test(message)) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

export class Store {
  readonly db: Db;
  readonly stats: StoreStats;
  /** Terms as the full-text index sees them (search caching), via this store's connection. */
  readonly terms: FtsTerms;
  readonly #writes = new Mutex();
  readonly #isFile: boolean;
  groupCommitMs = GROUP_COMMIT_MS;

  private constructor(
    readonly client: Client,
    readonly url: string,
    stats: StoreStats,
  ) {
    this.stats = stats;
    this.db = drizzle(client, { schema });
    this.terms = new FtsTerms(client);
    this.#isFile = url.startsWith("file:");
  }

  static open(options: StoreOptions): Store {
    if (options.url.startsWith("file:")) {
      const file = options.url.slice("file:".length);
      if (file && file !== ":memory:") mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    }
    const busyTimeoutMs = options.busyTimeoutMs ?? (Number(process.env.STORE_BUSY_TIMEOUT_MS) || 100);
    const raw = createClient({
      url: options.url,
      authToken: options.authToken,
      // Busy timeout for the file lock held by *other* processes (workers): short, it blocks the loop.
      timeout: busyTimeoutMs,
      concurrency: options.maxConcurrency ?? 20,
    });
    const stats = new StoreStats(options.maxConcurrency ?? 20, options.idleCheckMs ?? 30_000);
    const store = new Store(stats.instrument(raw), options.url, stats);
    store.groupCommitMs = options.groupCommitMs ?? GROUP_COMMIT_MS;
    return store;
  }

  /**
   * Applies pending migrations (drizzle-kit's SQL and the custom FTS5/vector
   * SQL, embedded in the code). Safe when several processes start at once:
   * see migrator.ts. A failure (the database briefly unreachable or busy) is
   * retried a few times before the start fails.
   */
  async migrate(migrations: readonly EmbeddedMigration[] = embeddedMigrations): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        // WAL lets readers in other processes proceed while one process writes. Switching needs the
        // file to itself, so a process starting beside others may find it busy: retried with the rest.
        if (this.#isFile) await this.client.execute("PRAGMA journal_mode=WAL");
        await this.#writes.run(() => applyMigrations(this.client, migrations));
        return;
      } catch (e) {
        if (attempt >= 5) throw e;
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /**
   * Runs `fn` in one write transaction; writes of this process are serialised.
   * Another process holding the file lock longer than the busy timeout is
   * waited for asynchronously (backoff with jitter, the lock released between
   * tries so this process's other work goes on) and counted in `stats`:
   * SQLITE_BUSY never reaches a task or a request unless the lock stays taken
   * for minutes. The whole transaction is retried: a busy transaction was
   * rolled back, nothing of it was written.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.#retryBusy(() => this.#writes.run(() => this.db.transaction(fn)));
  }

  #grouped: Array<{ fn: (tx: Tx) => Promise<unknown>; done: (e?: unknown) => void }> = [];
  #groupTimer: NodeJS.Timeout | undefined;

  /**
   * Small bookkeeping writes (task ledger rows, outbox "published" marks)
   * that do not need a transaction of their own: those queued within
   * `GROUP_COMMIT_MS` share one transaction (a group commit). Resolves once
   * the shared transaction committed; one failing write fails the group, which
   * is retried once write by write so the others still land.
   */
  writeGrouped(fn: (tx: Tx) => Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#grouped.push({ fn, done: (e) => (e === undefined ? resolve() : reject(e instanceof Error ? e : new Error(String(e)))) });
      this.#groupTimer ??= setTimeout(() => void this.#flushGroup(), this.groupCommitMs);
    });
  }

  /** Commits whatever is queued for a group commit now (before a process exits). */
  async flushGrouped(): Promise<void> {
    while (this.#grouped.length > 0) await this.#flushGroup();
  }

  async #flushGroup(): Promise<void> {
    if (this.#groupTimer) clearTimeout(this.#groupTimer);
    this.#groupTimer = undefined;
    const group = this.#grouped;
    this.#grouped = [];
    if (group.length === 0) return;
    try {
      await this.write(async (tx) => {
        for (const g of group) await g.fn(tx);
      });
      for (const g of group) g.done();
    } catch {
      for (const g of group) {
        await this.write((tx) => g.fn(tx)).then(() => g.done(), (e: unknown) => g.done(e ?? new Error("write failed")));
      }
    }
  }

  /** Raw statements in one write transaction (FTS5 and vector writes). */
  writeBatch(statements: InStatement[]): Promise<void> {
    return this.#retryBusy(() =>
      this.#writes.run(async () => {
        await this.client.batch(statements, "write");
      }),
    );
  }

  async #retryBusy<T>(attempt: () => Promise<T>): Promise<T> {
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (e) {
        if (!isBusyError(e) || tries >= BUSY_RETRY_LIMIT) throw e;
        this.stats.busyRetry();
        const delay = Math.min(BUSY_RETRY_MAX_DELAY_MS, 10 * 2 ** Math.min(tries, 8));
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
      }
    }
  }

  /** Raw statements and drizzle work in one transaction. */
  writeRaw<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#retryBusy(() => this.#writeRawOnce(fn));
  }

  #writeRawOnce<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    return this.#writes.run(async () => {
      const tx = await this.client.transaction("write");
      try {
        const out = await fn(tx);
        await tx.commit();
        return out;
      } catch (e) {
        await tx.rollback().catch(() => undefined);
        throw e;
      } finally {
        tx.close();
      }
    });
  }

  async healthCheck(): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
    const t0 = performance.now();
    try {
      await this.client.execute("SELECT 1");
      return { ok: true, latencyMs: performance.now() - t0 };
    } catch (e) {
      return { ok: false, latencyMs: performance.now() - t0, error: e instanceof Error ? e.message : String(e) };
    }
  }

  close(): void {
    if (this.#groupTimer) clearTimeout(this.#groupTimer);
    this.client.close();
  }
}
