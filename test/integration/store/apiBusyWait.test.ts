/**
 * The API process's store never waits for another process's write lock inside
 * SQLite: that wait is synchronous and holds the event loop (/health included).
 * Its write fails at once and is retried asynchronously, so timers keep firing
 * while a worker holds the lock; the write still lands once the lock is free.
 * A store that does wait inside SQLite (a 500 ms busy timeout) is measured
 * beside it: its wait holds the loop for the whole timeout, which shows the
 * check can fail. The bound for the API's store (250 ms) is half that wait, so
 * a busy machine's scheduling jitter does not decide the outcome.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Store, type StoreOptions } from "@shared/adapters/libsql/store";
import { API_STORE_BUSY } from "@local/stack";
import { killAllProcesses, spawnTs } from "../../helpers/processes";

const dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-api-busy-"));
const file = path.join(dir, "store.db");

beforeAll(async () => {
  const setup = createClient({ url: `file:${file}` });
  await setup.execute("PRAGMA journal_mode=WAL");
  await setup.execute("CREATE TABLE writes (writer TEXT NOT NULL)");
  setup.close();
});
afterAll(async () => {
  await killAllProcesses();
  rmSync(dir, { recursive: true, force: true });
});

/** One write while another process holds the lock for `holdMs`: the longest gap between 1 ms timer ticks meanwhile, and the busy retries. */
async function writeWhileLocked(options: Partial<StoreOptions>, holdMs: number): Promise<{ maxGapMs: number; retries: number }> {
  const store = Store.open({ url: `file:${file}`, maxConcurrency: 1, ...options });
  try {
    const holder = spawnTs("lock-holder", "test/helpers/lockHolder.ts", { env: { STORE_FILE: file, HOLD_MS: String(holdMs) } });
    await holder.waitForLine(/^holding$/m, 60_000);
    let last = performance.now();
    let maxGapMs = 0;
    const ticker = setInterval(() => {
      const now = performance.now();
      maxGapMs = Math.max(maxGapMs, now - last);
      last = now;
    }, 1);
    try {
      await store.write((tx) => tx.run(sql`INSERT INTO writes (writer) VALUES ('api')`));
    } finally {
      clearInterval(ticker);
    }
    expect(await holder.exited).toBe(0);
    await holder.waitForLine(/^released$/m, 10_000);
    return { maxGapMs, retries: store.stats.snapshot().busyRetries };
  } finally {
    store.close();
  }
}

it("the API's store waits for a worker's lock with its event loop free, and its write lands", async () => {
  const api = await writeWhileLocked(API_STORE_BUSY, 1500);
  expect(api.retries).toBeGreaterThan(0);
  expect(api.maxGapMs).toBeLessThan(250);
  const waiting = await writeWhileLocked({ busyTimeoutMs: 500 }, 1500);
  expect(waiting.maxGapMs).toBeGreaterThanOrEqual(490);
  const rows = createClient({ url: `file:${file}` });
  expect(Number((await rows.execute("SELECT count(*) AS n FROM writes WHERE writer = 'api'")).rows[0]!.n)).toBe(2);
  rows.close();
}, 120_000);
