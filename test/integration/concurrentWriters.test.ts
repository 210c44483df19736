/**
 * Issue 14, "writers that don't fight": two processes writing the same libSQL
 * file at once (the API and a worker of `npm start` do). SQLite's own busy
 * wait is kept short (it blocks the event loop), so a writer often finds the
 * file locked; the store retries asynchronously and no SQLITE_BUSY escapes.
 * The busy timeout is 1 ms here so that contention is certain, and each
 * transaction holds the lock for a few milliseconds.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient } from "@libsql/client";
import { killAllProcesses, spawnTs } from "../helpers/processes";

const WRITES = 60;
const ROWS = 150;
const dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-writers-"));
const file = path.join(dir, "store.db");
const startFile = path.join(dir, "start");

afterAll(async () => {
  await killAllProcesses();
  rmSync(dir, { recursive: true, force: true });
});

interface WriterReport {
  label: string;
  committed: number;
  errors: string[];
  errorCount: number;
  busyRetries: number;
}

describe("two processes writing one store", () => {
  it("commit every transaction: busy waits are retried, no busy error escapes", async () => {
    const setup = createClient({ url: `file:${file}` });
    await setup.execute("PRAGMA journal_mode=WAL");
    await setup.execute("CREATE TABLE writes (writer TEXT NOT NULL, n INTEGER NOT NULL, payload TEXT NOT NULL)");
    setup.close();
    const writers = ["a", "b"].map((label) =>
      spawnTs(`writer-${label}`, "test/helpers/storeWriter.ts", { env: { STORE_FILE: file, WRITES: String(WRITES), ROWS: String(ROWS), WRITER: label, STORE_BUSY_TIMEOUT_MS: "1", START_FILE: startFile } }),
    );
    // Both opened the store: let them go at once.
    await Promise.all(writers.map((w) => w.waitForLine(/^ready$/m, 120_000)));
    writeFileSync(startFile, "");
    const codes = await Promise.all(writers.map((w) => w.exited));
    const reports = writers.map((w) => JSON.parse(w.stdout().trim().split("\n").pop() ?? "{}") as WriterReport);
    expect(codes).toEqual([0, 0]);
    for (const r of reports) expect({ label: r.label, committed: r.committed, errors: r.errors }).toEqual({ label: r.label, committed: WRITES, errors: [] });
    // The test proves something only if the writers really collided.
    expect(reports.reduce((n, r) => n + r.busyRetries, 0)).toBeGreaterThan(0);
    const client = createClient({ url: `file:${file}` });
    try {
      const rs = await client.execute("SELECT writer, count(*) AS n FROM writes GROUP BY writer ORDER BY writer");
      expect(rs.rows.map((r) => [String(r.writer), Number(r.n)])).toEqual([["a", WRITES * ROWS], ["b", WRITES * ROWS]]);
    } finally {
      client.close();
    }
  }, 120_000);
});
