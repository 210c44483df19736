/**
 * The local SQS: the fauxqs emulator started our way.
 *
 * - It listens on loopback (or the address asked for): upstream fauxqs binds
 *   0.0.0.0 whatever its `host` option says, which put an unauthenticated
 *   queue on the network; `patches/fauxqs+2.4.1.patch` (applied by
 *   patch-package on `npm ci`) adds the `listenHost` option used here.
 * - With a data directory it persists every queue and message to SQLite, so a
 *   restart or a crash loses no queued task and no dead letter.
 * - `releaseInFlight` makes the messages a previous run had received visible
 *   again at start. Their consumers died with that run; without it they would
 *   wait out their visibility timeout (12 minutes for ingestion) before anyone
 *   retried them. Only the stack that owns the queue server may ask for this.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export interface QueueServerOptions {
  /** 0: the OS picks a free port. */
  port: number;
  /** The address to listen on; default 127.0.0.1. */
  listenHost?: string;
  /** Persist queues and messages here (fauxqs `dataDir`); absent: in memory. */
  dataDir?: string | undefined;
  /** Make messages left in flight by a previous run visible again (see above). */
  releaseInFlight?: boolean;
}

export interface QueueServer {
  endpoint: string;
  port: number;
  /** Messages made visible again at start. */
  released: number;
  stop(): Promise<void>;
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
  const server = await startFauxqs({
    port: options.port,
    logger: false,
    // Names the queue URLs only; the listening address is `listenHost`.
    host: "localhost",
    listenHost: options.listenHost ?? "127.0.0.1",
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
  });
  return {
    endpoint: server.address,
    port: server.port,
    released,
    stop: () => server.stop(),
  };
}
