/**
 * A write that finds the file locked by another process must leave its
 * connection clean. @libsql/client 0.18 ran BEGIN/COMMIT/ROLLBACK as prepared
 * statements; a BEGIN IMMEDIATE that got SQLITE_BUSY stayed an active writing
 * statement on its pooled connection (never reset), so every later transaction
 * on that connection failed at COMMIT with "cannot commit transaction - SQL
 * statements in progress" until garbage collection happened to finalize it.
 * Under `npm start`'s load that turned into minutes of failed POSTs (500s) and
 * failed tasks. patches/@libsql+client+0.18.0.patch runs those control
 * statements through exec; this test fails without it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { afterAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { killAllProcesses, spawnTs } from "../../helpers/processes";

const dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-busy-begin-"));
const file = path.join(dir, "store.db");
let store: Store | undefined;

afterAll(async () => {
  store?.close();
  await killAllProcesses();
  rmSync(dir, { recursive: true, force: true });
});

async function holdLock(ms: number) {
  const holder = spawnTs("lock-holder", "test/helpers/lockHolder.ts", { env: { STORE_FILE: file, HOLD_MS: String(ms) } });
  await holder.waitForLine(/^holding$/m, 60_000);
  return holder;
}

describe("a write that met another process's lock", () => {
  it("leaves the client's connection usable: the next transaction on it commits", async () => {
    const setup = createClient({ url: `file:${file}` });
    await setup.execute("PRAGMA journal_mode=WAL");
    await setup.execute("CREATE TABLE writes (writer TEXT NOT NULL)");
    setup.close();
    // One connection, so the transaction after the busy one gets the very same connection.
    const client = createClient({ url: `file:${file}`, timeout: 20, concurrency: 1 });
    try {
      const holder = await holdLock(300);
      await expect(client.transaction("write")).rejects.toThrow(/SQLITE_BUSY|locked/);
      expect(await holder.exited).toBe(0);
      const tx = await client.transaction("write");
      await tx.execute({ sql: "INSERT INTO writes (writer) VALUES (?)", args: ["after-busy"] });
      await tx.commit();
      const rs = await client.execute("SELECT count(*) AS n FROM writes WHERE writer = 'after-busy'");
      expect(Number(rs.rows[0]!.n)).toBe(1);
    } finally {
      client.close();
    }
  }, 90_000);

  it("waits it out, and the next writes on the same connections commit at once", async () => {
    store = Store.open({ url: `file:${file}`, busyTimeoutMs: 20, maxConcurrency: 1 });
    await store.client.execute("DELETE FROM writes");
    const insert = (writer: string) => store!.write((tx) => tx.run(sql`INSERT INTO writes (writer) VALUES (${writer})`));

    const holder = await holdLock(600);
    // Busy at BEGIN (the holder has the lock): retried asynchronously until the holder commits.
    await insert("while-held");
    // The insert could only land once the holder committed (its "released" line may still be in the pipe).
    await holder.waitForLine(/^released$/m, 10_000);
    expect(store.stats.snapshot().busyRetries).toBeGreaterThan(0);

    // The lock is free now: each of these commits on its first try, on the very connection that met the busy BEGIN.
    const retriesBefore = store.stats.snapshot().busyRetries;
    for (let i = 0; i < 5; i++) await insert(`after-${i}`);
    expect(store.stats.snapshot().busyRetries - retriesBefore).toBe(0);
    const rs = await store.client.execute("SELECT count(*) AS n FROM writes");
    expect(Number(rs.rows[0]!.n)).toBe(7);
    expect(await holder.exited).toBe(0);
  }, 90_000);
});
