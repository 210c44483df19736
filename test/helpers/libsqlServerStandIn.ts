/**
 * A STAND-IN for a libSQL server (Turso / sqld) in tests: Hrana 2 over HTTP
 * (`POST /v2/pipeline`, JSON), the protocol `@libsql/client/web` speaks, over
 * a local database file. Lambda bundles alias `@libsql/client` to its web
 * entry, so this is how a test runs them against a real store over HTTP.
 *
 * Like sqld, each Hrana stream is its own SQLite connection (opened with the
 * native libSQL binding, so FTS5 and libSQL vectors work); a baton ties the
 * requests of one stream together, so interactive transactions and TEMP
 * objects live exactly as long as their stream. Streams idle longer than
 * `streamIdleMs` are closed, which rolls back what they left open (sqld
 * expires abandoned streams the same way).
 *
 * Statements run synchronously on the one event loop, so a statement that
 * finds the database locked (SQLITE_BUSY) must not wait inside SQLite: that
 * would block the stream holding the lock too. It is retried after an
 * asynchronous pause instead, for up to `busyTimeoutMs`.
 *
 * Not implemented (the client does not use them over HTTP v2): cursors,
 * `describe`, protocol v3 and protobuf encoding.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import Database from "libsql";

type HranaValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

interface HranaStmt {
  sql?: string;
  sql_id?: number;
  args?: HranaValue[];
  named_args?: Array<{ name: string; value: HranaValue }>;
  want_rows?: boolean;
}

type BatchCond =
  | { type: "ok" | "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and" | "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

interface StreamRequest {
  type: string;
  stmt?: HranaStmt;
  batch?: { steps: Array<{ condition?: BatchCond; stmt: HranaStmt }> };
  sql?: string;
  sql_id?: number;
}

interface StmtResult {
  cols: Array<{ name: string; decltype: string | null }>;
  rows: HranaValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
}

interface HranaError {
  message: string;
  code: string;
}

interface Stream {
  db: Database.Database;
  baton: string;
  sqls: Map<number, string>;
  idleTimer: NodeJS.Timeout | null;
  /** Requests of one stream are answered in order. */
  busy: Promise<unknown>;
}

export interface LibsqlServerStandIn {
  /** `http://127.0.0.1:<port>`: what goes into LIBSQL_URL / the libSQL secret. */
  readonly url: string;
  readonly authToken: string;
  /** Pipeline requests served and statements executed, for tests that count round trips. */
  readonly counters: { pipelines: number; statements: number };
  /** Streams currently open (each is one SQLite connection). */
  openStreams(): number;
  close(): Promise<void>;
}

export interface LibsqlServerStandInOptions {
  /** Path of the database file (created if missing). */
  file: string;
  authToken?: string;
  streamIdleMs?: number;
  busyTimeoutMs?: number;
}

class StatementError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export async function startLibsqlServerStandIn(options: LibsqlServerStandInOptions): Promise<LibsqlServerStandIn> {
  const authToken = options.authToken ?? randomBytes(16).toString("hex");
  const streamIdleMs = options.streamIdleMs ?? 10_000;
  const busyTimeoutMs = options.busyTimeoutMs ?? 15_000;
  const streams = new Map<string, Stream>();
  const counters = { pipelines: 0, statements: 0 };

  // WAL once for the file, as sqld runs it: readers proceed while one stream writes.
  const setup = new Database(options.file, { timeout: 5_000 });
  setup.exec("PRAGMA journal_mode=WAL");
  setup.close();

  const openStream = (): Stream => {
    const db = new Database(options.file, { timeout: 0 });
    const stream: Stream = { db, baton: "", sqls: new Map(), idleTimer: null, busy: Promise.resolve() };
    return stream;
  };
  const closeStream = (stream: Stream): void => {
    if (stream.idleTimer) clearTimeout(stream.idleTimer);
    streams.delete(stream.baton);
    if (stream.db.open) stream.db.close();
  };
  const park = (stream: Stream): string => {
    stream.baton = randomBytes(12).toString("base64url");
    streams.set(stream.baton, stream);
    stream.idleTimer = setTimeout(() => closeStream(stream), streamIdleMs);
    stream.idleTimer.unref();
    return stream.baton;
  };

  const execute = async (stream: Stream, stmt: HranaStmt): Promise<StmtResult> => {
    const sql = stmt.sql ?? (stmt.sql_id !== undefined ? stream.sqls.get(stmt.sql_id) : undefined);
    if (sql === undefined) throw new StatementError("statement has neither sql nor a stored sql_id", "SQL_NOT_FOUND");
    counters.statements++;
    const prepared = prepare(stream.db, sql);
    const deadline = Date.now() + busyTimeoutMs;
    for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
      try {
        return runPrepared(stream.db, prepared, sql, stmt);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        // Locked: nothing happened, so trying again later is safe (SQLite's busy handler does the same, but
        // blocking). The SAME statement is stepped again: a fresh one would leave this one "in progress",
        // and SQLite refuses to COMMIT while a statement is in progress.
        if ((code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, pause));
          continue;
        }
        throw new StatementError(error instanceof Error ? error.message : String(error), typeof code === "string" ? code : "SQLITE_ERROR");
      }
    }
  };

  const handleRequest = async (stream: Stream, request: StreamRequest): Promise<{ ok: unknown } | { error: HranaError }> => {
    try {
      switch (request.type) {
        case "execute":
          return { ok: { type: "execute", result: await execute(stream, request.stmt ?? {}) } };
        case "batch": {
          const steps = request.batch?.steps ?? [];
          const results: Array<StmtResult | null> = [];
          const errors: Array<HranaError | null> = [];
          for (const step of steps) {
            if (step.condition && !holds(step.condition, results, errors, stream.db)) {
              results.push(null);
              errors.push(null);
              continue;
            }
            try {
              results.push(await execute(stream, step.stmt));
              errors.push(null);
            } catch (e) {
              results.push(null);
              errors.push(asHranaError(e));
            }
          }
          return { ok: { type: "batch", result: { step_results: results, step_errors: errors } } };
        }
        case "sequence": {
          const sql = request.sql ?? (request.sql_id !== undefined ? stream.sqls.get(request.sql_id) : undefined);
          if (sql === undefined) throw new StatementError("sequence has neither sql nor a stored sql_id", "SQL_NOT_FOUND");
          stream.db.exec(sql);
          return { ok: { type: "sequence" } };
        }
        case "store_sql":
          stream.sqls.set(request.sql_id ?? -1, request.sql ?? "");
          return { ok: { type: "store_sql" } };
        case "close_sql":
          stream.sqls.delete(request.sql_id ?? -1);
          return { ok: { type: "close_sql" } };
        case "get_autocommit":
          return { ok: { type: "get_autocommit", is_autocommit: !stream.db.inTransaction } };
        case "close":
          return { ok: { type: "close" } };
        default:
          throw new StatementError(`request type ${request.type} is not supported by this stand-in`, "UNSUPPORTED");
      }
    } catch (e) {
      return { error: asHranaError(e) };
    }
  };

  const pipeline = async (body: { baton?: string | null; requests?: StreamRequest[] }): Promise<{ status: number; json: unknown }> => {
    counters.pipelines++;
    let stream: Stream;
    if (body.baton) {
      const found = streams.get(body.baton);
      if (!found) return { status: 400, json: { message: "unknown or expired baton", code: "STREAM_EXPIRED" } };
      stream = found;
      streams.delete(stream.baton);
      if (stream.idleTimer) clearTimeout(stream.idleTimer);
    } else {
      stream = openStream();
    }
    const run = stream.busy.then(async () => {
      const results: unknown[] = [];
      let closed = false;
      for (const request of body.requests ?? []) {
        const outcome = await handleRequest(stream, request);
        results.push("ok" in outcome ? { type: "ok", response: outcome.ok } : { type: "error", error: outcome.error });
        if (request.type === "close") closed = true;
      }
      if (closed) {
        closeStream(stream);
        return { baton: null, base_url: null, results };
      }
      return { baton: park(stream), base_url: null, results };
    });
    stream.busy = run.catch(() => undefined);
    return { status: 200, json: await run };
  };

  const server: Server = createServer((req, res) => {
    void serve(req, res).catch((e: unknown) => reply(res, 500, { message: String(e) }));
  });
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    if (req.method === "GET" && (path === "/health" || path === "/v2")) return reply(res, 200, {});
    if (req.headers.authorization !== `Bearer ${authToken}`) return reply(res, 401, { message: "missing or wrong auth token" });
    if (req.method !== "POST" || path !== "/v2/pipeline") return reply(res, 404, { message: `${req.method} ${path} is not served by this stand-in` });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { status, json } = await pipeline(JSON.parse(Buffer.concat(chunks).toString("utf8")) as never);
    reply(res, status, json);
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    authToken,
    counters,
    openStreams: () => streams.size,
    async close() {
      for (const stream of [...streams.values()]) closeStream(stream);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(res: ServerResponse, status: number, json: unknown): void {
  const body = JSON.stringify(json);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

function asHranaError(e: unknown): HranaError {
  return { message: e instanceof Error ? e.message : String(e), code: e instanceof StatementError ? e.code : "SQLITE_ERROR" };
}

function holds(cond: BatchCond, results: ReadonlyArray<StmtResult | null>, errors: ReadonlyArray<HranaError | null>, db: Database.Database): boolean {
  switch (cond.type) {
    case "ok":
      return results[cond.step] != null;
    case "error":
      return errors[cond.step] != null;
    case "not":
      return !holds(cond.cond, results, errors, db);
    case "and":
      return cond.conds.every((c) => holds(c, results, errors, db));
    case "or":
      return cond.conds.some((c) => holds(c, results, errors, db));
    case "is_autocommit":
      return !db.inTransaction;
  }
}

const READ_ONLY = /^\s*(select|with|pragma|explain|values)\b/i;

function prepare(db: Database.Database, sql: string): Database.Statement {
  try {
    return db.prepare(sql);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new StatementError(error instanceof Error ? error.message : String(error), typeof code === "string" ? code : "SQLITE_ERROR");
  }
}

function runPrepared(db: Database.Database, prepared: Database.Statement, sql: string, stmt: HranaStmt): StmtResult {
  const args = bindings(stmt);
  if (prepared.reader) {
    prepared.raw(true);
    prepared.safeIntegers(true);
    const rows = (prepared.all(...args) as unknown[][]).map((row) => row.map(toHranaValue));
    const cols = prepared.columns().map((c) => ({ name: c.name, decltype: c.type ?? null }));
    // RETURNING statements are readers that also change rows. (`all`, not `get`: a statement stepped
    // only part way stays "in progress" and would block the next COMMIT.)
    const affected = READ_ONLY.test(sql) ? 0 : Number((db.prepare("SELECT changes()").raw(true).all() as unknown[][])[0]?.[0] ?? 0);
    return { cols, rows: stmt.want_rows === false ? [] : rows, affected_row_count: affected, last_insert_rowid: null };
  }
  const info = prepared.run(...args);
  return { cols: [], rows: [], affected_row_count: Number(info.changes), last_insert_rowid: String(info.lastInsertRowid) };
}

function bindings(stmt: HranaStmt): unknown[] {
  const positional = (stmt.args ?? []).map(fromHranaValue);
  if (!stmt.named_args?.length) return positional;
  const named: Record<string, unknown> = {};
  for (const { name, value } of stmt.named_args) named[name.replace(/^[:@$]/, "")] = fromHranaValue(value);
  return [...positional, named];
}

function fromHranaValue(v: HranaValue): unknown {
  switch (v.type) {
    case "null":
      return null;
    case "integer":
      return BigInt(v.value);
    case "float":
      return v.value;
    case "text":
      return v.value;
    case "blob":
      return Buffer.from(v.base64, "base64");
  }
}

function toHranaValue(v: unknown): HranaValue {
  if (v === null || v === undefined) return { type: "null" };
  if (typeof v === "bigint") return { type: "integer", value: v.toString() };
  // Integers arrive as bigint (safeIntegers), so a number is always a REAL.
  if (typeof v === "number") return { type: "float", value: v };
  if (typeof v === "string") return { type: "text", value: v };
  if (v instanceof Uint8Array || v instanceof ArrayBuffer) return { type: "blob", base64: Buffer.from(v as Uint8Array).toString("base64") };
  throw new Error(`cannot encode a ${typeof v} as a Hrana value`);
}
