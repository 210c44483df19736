/**
 * The store's figures as a periodic log line (requirement 8 translated): the
 * same numbers as GET /monitoring/db, on a timer that never keeps the process
 * alive, moving as the store works. Real libSQL file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { logStoreStats, startStoreStatsLog } from "@shared/observability/dbStatsLog";
import type { AppLogger } from "@shared/observability/logger";

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-storelog-"));
  store = Store.open({ url: `file:${path.join(dir, "s.db")}` });
  await store.migrate();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Collects what the code logs (the logger is our own port, not a service). */
function recordingLog() {
  const lines: Array<{ message: string; fields: Record<string, unknown> }> = [];
  const add = (message: string, fields?: unknown): void => {
    lines.push({ message, fields: (fields ?? {}) as Record<string, unknown> });
  };
  return { lines, log: { debug: add, info: add, warn: add, error: add } as unknown as AppLogger };
}

describe("store stats log line", () => {
  it("logs the figures of /monitoring/db, and they move with work", async () => {
    const { lines, log } = recordingLog();
    logStoreStats(store, log);
    for (let i = 0; i < 20; i++) await store.client.execute("SELECT count(*) FROM resources");
    await store.client.execute("SELECT * FROM no_such_table").catch(() => undefined);
    logStoreStats(store, log);

    const [before, after] = lines.map((l) => l.fields);
    expect(lines.map((l) => l.message)).toEqual(["store stats", "store stats"]);
    expect(Object.keys(after!).sort()).toEqual(["busyRetries", "errors", "healthChecks", "inFlight", "lastError", "latencyP50Ms", "latencyP95Ms", "maxConcurrency", "operations", "riders", "waiting", "writeLockMs", "writeTransactions"].sort());
    expect(after!.operations).toBe((before!.operations as number) + 21);
    expect(after!.errors).toBe((before!.errors as number) + 1);
    expect(after!.lastError).toMatch(/no_such_table/);
    expect(after!.latencyP95Ms as number).toBeGreaterThanOrEqual(after!.latencyP50Ms as number);
  });

  it("repeats on its interval until stopped, on an unref'd timer", async () => {
    const { lines, log } = recordingLog();
    const stop = startStoreStatsLog(store, 40, log);
    await new Promise((r) => setTimeout(r, 150));
    stop();
    const n = lines.length;
    expect(n).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 100));
    expect(lines.length).toBe(n);
  });
});
