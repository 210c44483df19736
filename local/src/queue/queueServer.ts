/**
 * The local SQS: the fauxqs emulator started our way.
 *
 * - It listens on loopback (or the address asked for): upstream fauxqs binds
 *   0.0.0.0 whatever its `host` option says, which put an unauthenticated
 *   queue on the network; `patches/fauxqs+2.4.1.patch` (applied by
 *   patch-package on `npm ci`) adds the `listenHost` option used here.
 * - With a data directory it persists every queue and message to SQLite, so a
 *   restart or a crash loses no queued task and no dead letter.
 * - Its SQLite file runs at the store's durability level (STORE_SYNCHRONOUS,
 *   docs/operations.md "Durability"), not at SQLite's default FULL: see
 *   `persistAt` below.
 * - `releaseInFlight` makes the messages a previous run had received visible
 *   again at start. Their consumers died with that run; without it they would
 *   wait out their visibility timeout (12 minutes for ingestion) before anyone
 *   retried them. Only the stack that owns the queue server may ask for this.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { synchronousFromEnv, type StoreSynchronous } from "@shared/adapters/libsql/synchronous";

export interface QueueServerOptions {
  /** 0: the OS picks a free port. */
  port: number;
  /** The address to listen on; default 127.0.0.1. */
  listenHost?: string;
  /** Persist queues and messages here (fauxqs `dataDir`); absent: in memory. */
  dataDir?: string | undefined;
  /** Make messages left in flight by a previous run visible again (see above). */
  releaseInFlight?: boolean;
  /** SQLite `synchronous` of the data directory's file; default STORE_SYNCHRONOUS (normal). */
  synchronous?: StoreSynchronous;
}

export interface QueueServer {
  endpoint: string;
  port: number;
  /** Messages made visible again at start. */
  released: number;
  /** `PRAGMA synchronous` as read back from the persistence connection; null in memory. */
  synchronous: StoreSynchronous | null;
  stop(): Promise<void>;
}

/**
 * fauxqs (2.4.1, pinned) opens its file at SQLite's default, synchronous=FULL,
 * and commits every send, receive and delete on its own: each waits for an
 * fsync (2–8 ms on this machine), on the queue server's only thread, three
 * times per message. That, not CPU, bounded the no-op throughput (issue 14:
 * 1,000 tasks in 0.95 s at FULL, 0.55 s at NORMAL, in the same run). fauxqs
 * has no option for it; its PersistenceManager prepares its statements right
 * after opening the file (synchronously, inside `startFauxqs`), so a hook
 * there sets the level on that connection first and reads it back.
 */
interface FauxqsPersistence {
  db: { exec(sql: string): void; prepare(sql: string): { get(): unknown } };
}
let persistLevel: StoreSynchronous | undefined;
let persistedAt: StoreSynchronous | null = null;
let hooked = false;

async function hookPersistence(): Promise<void> {
  if (hooked) return;
  const file = new URL("./persistence.js", import.meta.resolve("fauxqs"));
  const mod = (await import(file.href)) as { PersistenceManager?: { prototype: { prepareStatements?: (this: FauxqsPersistence) => unknown } } };
  const proto = mod.PersistenceManager?.prototype;
  const prepare = proto?.prepareStatements;
  if (!proto || typeof prepare !== "function") throw new Error("fauxqs changed: no PersistenceManager.prepareStatements to set its synchronous level on");
  proto.prepareStatements = function (this: FauxqsPersistence) {
    if (persistLevel) {
      this.db.exec(`PRAGMA synchronous = ${persistLevel === "full" ? "FULL" : "NORMAL"}`);
      const row = this.db.prepare("PRAGMA synchronous").get() as { synchronous?: number } | undefined;
      persistedAt = row?.synchronous === 2 ? "full" : row?.synchronous === 1 ? "normal" : null;
    }
    return prepare.call(this);
  };
  hooked = true;
}

/** The file fauxqs keeps its state in (its PersistenceManager's layout in 2.4.1). */
function fauxqsDbFile(dataDir: string): string {
  return path.join(dataDir, "fauxqs.db");
}

/** Clears the in-flight state of every message in a fauxqs data directory, before fauxqs loads it. */
export async function releaseInFlightMessages(dataDir: string): Promise<number> {
  const file = fauxqsDbFile(dataDir);
  if (!existsSync(file)) return 0;
  // Loaded here only: importing node:sqlite (fauxqs does too) prints an experimental warning in every process that does.
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(file);
  try {
    const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqs_messages'").get();
    if (!table) return 0;
    const result = db.prepare("UPDATE sqs_messages SET receipt_handle = NULL, visibility_deadline = NULL WHERE receipt_handle IS NOT NULL").run();
    return Number(result.changes);
  } finally {
    db.close();
  }
}

export async function startQueueServer(options: QueueServerOptions): Promise<QueueServer> {
  const released = options.dataDir && options.releaseInFlight ? await releaseInFlightMessages(options.dataDir) : 0;
  const { startFauxqs } = await import("fauxqs");
  if (options.dataDir) await hookPersistence();
  // The file is opened synchronously inside startFauxqs, before its first await: no other start interleaves.
  persistLevel = options.dataDir ? (options.synchronous ?? synchronousFromEnv()) : undefined;
  persistedAt = null;
  const starting = startFauxqs({
    port: options.port,
    logger: false,
    // Names the queue URLs only; the listening address is `listenHost`.
    host: "localhost",
    listenHost: options.listenHost ?? "127.0.0.1",
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  const synchronous = persistedAt;
  persistLevel = undefined;
  const server = await starting;
  if (options.dataDir && synchronous === null) {
    await server.stop();
    throw new Error("fauxqs changed: its persistence file was not opened where expected, so its synchronous level is unknown");
  }
  return {
    endpoint: server.address,
    port: server.port,
    released,
    synchronous,
    stop: () => server.stop(),
  };
}
