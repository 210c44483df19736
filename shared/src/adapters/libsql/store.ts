/**
 * The store: one libSQL client per process (a local file or a libSQL server),
 * a drizzle view over it, and `write()` for atomic changes. Migrations run at
 * start (`migrate`), from the list compiled into the code. Figures for
 * monitoring come from `stats()`. `terms` tokenizes like the full-text index,
 * through this same client.
 */
import path from "node:path";
import { mkdirSync } from "node:fs";
import { AsyncLocalStorage } from "node:async_hooks";
import { createClient, type Client, type InStatement, type Transaction } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { Mutex } from "../../util/mutex";
import { FtsTerms } from "./ftsTerms";
import { embeddedMigrations } from "./migrations.generated";
import { applyMigrations, type EmbeddedMigration } from "./migrator";
import { schema } from "./schema";
import { StoreStats } from "./storeStats";
import { synchronousFromEnv, type StoreSynchronous } from "./synchronous";

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
   * First and longest pause between the async retries of a write that found
   * the file locked (default 10 ms doubling to 2 s). A process that must not
   * wait synchronously at all (the API process: busy timeout 0) retries often
   * instead, with short pauses.
   */
  busyRetryDelayMs?: { first: number; max: number };
  /**
   * Group-commit window of bookkeeping writes (`writeGrouped`). 0: each waits
   * for its own commit and callers await it (AWS Lambda, frozen between
   * invocations, must not leave writes on a timer).
   */
  groupCommitMs?: number;
  /**
   * SQLite's `synchronous` on every connection of a local file store
   * (docs/operations.md, "Durability"): `normal` (default; STORE_SYNCHRONOUS)
   * or `full`. Ignored for a libSQL server, which decides its own.
   */
  synchronous?: StoreSynchronous;
}

export { synchronousFromEnv, type StoreSynchronous } from "./synchronous";

/** How a write reached the store: `write`, `writeGrouped` (a rider), `writeBatch`, `writeRaw`. */
export type WriteKind = "write" | "grouped" | "batch" | "raw";

/**
 * Names the code asking for a write (diagnostics: the write-path benchmark,
 * tests). `label` is what the caller said it is, if anything (`writeGrouped`'s
 * `label`). Called synchronously in the caller's own call, so a stack taken
 * there shows who it is.
 */
export type WriterNamer = (kind: WriteKind, label: string | undefined) => string;

/** How long bookkeeping writes wait for company before their shared commit (default). */
const GROUP_COMMIT_MS = 20;

/** A bookkeeping write waiting to ride in the next write transaction of this process (`writeGrouped`). */
interface Rider {
  fn: (tx: Tx) => Promise<unknown>;
  /** Who asked for it (`Store.nameWriter`), when writers are named. */
  who?: string | undefined;
  done: (e?: unknown) => void;
  /** When it stops waiting for company and gets a transaction of its own (epoch ms)… */
  deadline: number;
  /** …unless work of this process that will write is still running (`expectWrites`): then at the latest now. */
  latest: number;
  /** Queued by such work, which waits for it: that work writes nothing more before this rider commits. */
  parked: boolean;
}

/**
 * How much longer than its window a rider may wait while work of this process
 * that will write is running (`Store.expectWrites`). At c=1 the tasks a
 * document's ingestion wakes write tens of ms apart; this lets their small
 * writes share one commit instead of each committing alone.
 */
const COMPANY_WAIT_MS = 250;

/** The rider whose window ended first: the one a group commit of riders alone was made for. */
function firstDue(riders: readonly Rider[]): Rider | undefined {
  return riders.reduce<Rider | undefined>((a, r) => (a === undefined || r.deadline < a.deadline ? r : a), undefined);
}

/** Async retries of a write that found the file locked: for 2 minutes, then the error is real. */
const BUSY_RETRY_FOR_MS = 120_000;
const BUSY_RETRY_DELAY_MS = { first: 10, max: 2_000 };

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
  #busyRetryDelayMs = BUSY_RETRY_DELAY_MS;
  groupCommitMs = GROUP_COMMIT_MS;
  /** The `synchronous` level set on this store's connections (file stores), or null (a libSQL server decides). */
  synchronous: StoreSynchronous | null = null;
  /**
   * Diagnostics only (unset in production: no cost): when set, every write is
   * named when asked for, and each transaction is counted in `stats.byWriter()`
   * under the name of its host (the first write in it; for riders committed
   * alone, the one whose window ended first), with the riders it carried under
   * theirs.
   */
  nameWriter: WriterNamer | undefined;

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
    const maxConnections = options.maxConcurrency ?? 20;
    const stats = new StoreStats(maxConnections, options.idleCheckMs ?? 30_000);
    const store = new Store(stats.instrument(raw), options.url, stats);
    store.#busyRetryDelayMs = options.busyRetryDelayMs ?? BUSY_RETRY_DELAY_MS;
    store.groupCommitMs = options.groupCommitMs ?? GROUP_COMMIT_MS;
    if (store.#isFile) {
      store.synchronous = options.synchronous ?? synchronousFromEnv();
      setSynchronousOnEveryConnection(raw, maxConnections, store.synchronous);
    }
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
   *
   * Writes of this process queued behind the one holding the lock share the
   * next transaction (a group commit, `#commitQueued`). Bookkeeping writes
   * queued with `writeGrouped` ride along: after the writes, each runs in a
   * savepoint of the same transaction (one failing is rolled back alone and
   * reported to its caller), so they cost no commit of their own.
   */
  write<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const who = this.nameWriter?.("write", undefined);
    return this.#retryBusy(
      () =>
        new Promise<T>((resolve, reject) => {
          const first = this.#queued.length === 0;
          this.#queued.push({ fn, who, settle: (e, out) => (e === undefined ? resolve(out as T) : reject(e instanceof Error ? e : new Error(String(e)))) });
          // One turn of the write lock takes every write queued by then (a group commit, below).
          if (first) void this.#writes.run(() => this.#commitQueued());
        }),
    );
  }

  /** Writes waiting for the process's write lock. */
  #queued: Array<{ fn: (tx: Tx) => Promise<unknown>; who: string | undefined; settle: (e: unknown, out?: unknown) => void }> = [];

  /**
   * Group commit: the writes that queued while the previous transaction held
   * the lock share the next one, each in a savepoint of its own (one failing
   * is rolled back alone and reported to its caller; the others commit). No
   * write waits longer than it would have: they were waiting for the lock
   * anyway. A write alone runs as it always did, without a savepoint.
   */
  async #commitQueued(): Promise<void> {
    const batch = this.#queued;
    this.#queued = [];
    if (batch.length === 0) return;
    const outcomes: Array<{ error?: unknown; out?: unknown }> = batch.map(() => ({}));
    try {
      if (batch.length === 1) {
        outcomes[0] = { out: await this.#transact(batch[0]!.fn, batch[0]!.who) };
      } else {
        await this.#transact(async (tx) => {
          for (const [k, w] of batch.entries()) {
            await tx.transaction((sp) => w.fn(sp)).then(
              (out) => (outcomes[k] = { out }),
              (e: unknown) => (outcomes[k] = { error: e ?? new Error("write failed") }),
            );
          }
        }, batch[0]!.who);
      }
    } catch (e) {
      // The transaction itself failed (busy at BEGIN, the commit, or a lone write's own error): all of it.
      for (const w of batch) w.settle(e ?? new Error("write failed"));
      return;
    }
    batch.forEach((w, k) => w.settle(outcomes[k]!.error, outcomes[k]!.out));
  }

  /** One BEGIN … COMMIT under the write lock: `fn`, then the riders queued so far. */
  async #transact<T>(fn: ((tx: Tx) => Promise<T>) | null, who?: string): Promise<T | undefined> {
    const riders = this.#takeRiders();
    if (!fn && riders.length === 0) return undefined;
    const t0 = performance.now();
    const failed = new Map<Rider, unknown>();
    try {
      const out = await this.db.transaction(async (tx) => {
        const result = fn ? await fn(tx) : undefined;
        for (const r of riders) {
          // A savepoint each: a rider that fails is undone alone; the host's change and the other riders stay.
          await tx.transaction((sp) => r.fn(sp)).catch((e: unknown) => failed.set(r, e ?? new Error("write failed")));
        }
        return result;
      });
      this.stats.writeTransaction(performance.now() - t0, riders.length - failed.size);
      if (this.nameWriter) this.#countByWriter(fn ? (who ?? "(unnamed)") : `${firstDue(riders)?.who ?? "(unnamed)"} [alone]`, riders.filter((r) => !failed.has(r)));
      for (const r of riders) r.done(failed.get(r));
      return out;
    } catch (e) {
      this.stats.writeTransaction(performance.now() - t0);
      // Nothing of the transaction was written: the riders wait for the next one (or their own).
      this.#requeue(riders);
      throw e;
    }
  }

  /** `stats.byWriter()`: a transaction under its host's name (riders committed alone: the one whose window ended first, marked), its riders under theirs. */
  #countByWriter(host: string, riders: readonly Rider[]): void {
    this.stats.countWriter(host, riders.map((r) => r.who ?? "(unnamed)"));
  }

  #riders: Rider[] = [];
  #riderTimer: NodeJS.Timeout | undefined;
  #riderTimerAt = Infinity;

  /**
   * Small bookkeeping writes (task ledger rows of tasks that wrote nothing
   * else, outbox "published" marks) that need no transaction of their own:
   * each rides in the next write transaction this process makes (`write`,
   * a task's own, a request's), in a savepoint of it. If none comes within
   * `withinMs` (default the group-commit window) — or, while work that will
   * write is running (`expectWrites`), up to `COMPANY_WAIT_MS` longer — those
   * waiting share one transaction (a group commit). Resolves once committed; rejects if its own
   * statements failed. With a window of 0 (AWS Lambda) it is committed at once.
   * `label` names it in diagnostics (`nameWriter`). `awaited: false` says the
   * caller goes on without waiting for it (outbox marks): queued from running
   * work, it does not make that work count as waiting for a rider.
   */
  writeGrouped(fn: (tx: Tx) => Promise<unknown>, options: { withinMs?: number; label?: string; awaited?: boolean } = {}): Promise<void> {
    const windowMs = this.groupCommitMs === 0 ? 0 : (options.withinMs ?? this.groupCommitMs);
    const who = this.nameWriter?.("grouped", options.label);
    const deadline = Date.now() + windowMs;
    const latest = windowMs === 0 ? deadline : deadline + COMPANY_WAIT_MS;
    const parked = this.#expectedWork.getStore() === true && options.awaited !== false;
    return new Promise<void>((resolve, reject) => {
      this.#riders.push({ fn, who, deadline, latest, parked, done: (e) => (e === undefined ? resolve() : reject(e instanceof Error ? e : new Error(String(e)))) });
      this.#scheduleRiders();
    });
  }

  /** Commits whatever waits for a group commit now (before a process exits). */
  async flushGrouped(): Promise<void> {
    while (this.#riders.length > 0) await this.#flushRiders();
  }

  #takeRiders(): Rider[] {
    const riders = this.#riders;
    this.#riders = [];
    return riders;
  }

  #requeue(riders: Rider[]): void {
    if (riders.length === 0) return;
    this.#riders = [...riders, ...this.#riders];
    this.#scheduleRiders();
  }

  /**
   * Runs `fn`, work that is expected to write soon (a task run), as known to
   * the riders: while such work is running, riders past their window keep
   * waiting for its write (up to `COMPANY_WAIT_MS` more) instead of committing
   * alone — unless every such work is itself waiting for a rider (then no write
   * is coming). Group commit with "commit siblings": nothing waits when no
   * other work runs, and on AWS (window 0) nothing waits at all.
   */
  async expectWrites<T>(fn: () => Promise<T>): Promise<T> {
    this.#expectedWriters++;
    try {
      return await this.#expectedWork.run(true, fn);
    } finally {
      this.#expectedWriters--;
      // The work ended: if it was what riders waited for, they need not wait any longer.
      this.#scheduleRiders();
    }
  }

  /**
   * Running work (`expectWrites`) waits for `fn`, work it set off and that
   * runs in its stead (the inline bus runs the consumers of its events inside
   * the publish): meanwhile it writes nothing and is no company for riders.
   */
  async whileBlockedOn<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#expectedWork.getStore() !== true) return fn();
    this.#expectedWriters--;
    this.#scheduleRiders();
    try {
      return await fn();
    } finally {
      this.#expectedWriters++;
    }
  }

  readonly #expectedWork = new AsyncLocalStorage<boolean>();
  #expectedWriters = 0;

  /** Some running work (`expectWrites`) is not waiting for a rider of its own: a write of it may still come. */
  #companyComing(): boolean {
    let parked = 0;
    for (const r of this.#riders) if (r.parked) parked++;
    return this.#expectedWriters > parked;
  }

  #scheduleRiders(): void {
    if (this.#riders.length === 0) return;
    const deadline = Math.min(...this.#riders.map((r) => r.deadline));
    const latest = Math.min(...this.#riders.map((r) => r.latest));
    // Past their window, riders wait on (up to `latest`) while a write of running work may still come.
    const now = Date.now();
    const due = now >= deadline && now < latest && this.#companyComing() ? latest : deadline;
    if (this.#riderTimer && due >= this.#riderTimerAt) return;
    if (this.#riderTimer) clearTimeout(this.#riderTimer);
    this.#riderTimerAt = due;
    this.#riderTimer = setTimeout(() => this.#riderTimerFired(), Math.max(0, due - now));
  }

  #riderTimerFired(): void {
    this.#riderTimer = undefined;
    this.#riderTimerAt = Infinity;
    const now = Date.now();
    if (this.#riders.length > 0 && now < Math.min(...this.#riders.map((r) => r.latest)) && this.#companyComing()) {
      this.#scheduleRiders();
      return;
    }
    void this.#flushRiders();
  }

  async #flushRiders(): Promise<void> {
    if (this.#riderTimer) clearTimeout(this.#riderTimer);
    this.#riderTimer = undefined;
    this.#riderTimerAt = Infinity;
    try {
      // Riders another write took meanwhile are gone from the queue: an empty flush makes no transaction.
      await this.#retryBusy(() => this.#writes.run(() => this.#transact(null)));
    } catch (e) {
      // The transaction itself failed (not one rider's statements): each caller learns it.
      for (const r of this.#takeRiders()) r.done(e);
    }
  }

  /** Raw statements in one write transaction (FTS5 and vector writes). */
  writeBatch(statements: InStatement[]): Promise<void> {
    const who = this.nameWriter?.("batch", undefined);
    return this.#retryBusy(() =>
      this.#writes.run(async () => {
        const t0 = performance.now();
        try {
          await this.client.batch(statements, "write");
        } finally {
          this.stats.writeTransaction(performance.now() - t0);
          if (who !== undefined) this.stats.countWriter(who, []);
        }
      }),
    );
  }

  async #retryBusy<T>(attempt: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const { first, max } = this.#busyRetryDelayMs;
    for (let tries = 0; ; tries++) {
      try {
        return await attempt();
      } catch (e) {
        if (!isBusyError(e) || Date.now() - started >= BUSY_RETRY_FOR_MS) throw e;
        this.stats.busyRetry();
        const delay = Math.min(max, first * 2 ** Math.min(tries, 16));
        await new Promise((r) => setTimeout(r, delay * (0.5 + Math.random())));
      }
    }
  }

  /** Raw statements and drizzle work in one transaction. */
  writeRaw<T>(fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const who = this.nameWriter?.("raw", undefined);
    return this.#retryBusy(() => this.#writeRawOnce(fn, who));
  }

  #writeRawOnce<T>(fn: (tx: Transaction) => Promise<T>, who: string | undefined): Promise<T> {
    return this.#writes.run(async () => {
      const t0 = performance.now();
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
        this.stats.writeTransaction(performance.now() - t0);
        if (who !== undefined) this.stats.countWriter(who, []);
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
    if (this.#riderTimer) clearTimeout(this.#riderTimer);
    for (const r of this.#takeRiders()) r.done(new Error("store closed before the write was committed"));
    this.client.close();
  }
}

/**
 * `PRAGMA synchronous` is a setting of each connection, and the client keeps
 * a pool of them (opened on demand, up to `maxConnections`). Borrowing all of
 * them at once, before anything else uses the client, opens every one and sets
 * it; they stay in the pool. A connection the pool had to drop and reopen
 * later runs at SQLite's default (FULL): safer, never less durable.
 */
function setSynchronousOnEveryConnection(raw: Client, maxConnections: number, level: StoreSynchronous): void {
  const statement = `PRAGMA synchronous=${level === "full" ? "FULL" : "NORMAL"}`;
  // Each call borrows its connection synchronously (before its first await), so the calls get distinct ones.
  for (let i = 0; i < maxConnections; i++) void raw.execute(statement).catch(() => undefined);
}
