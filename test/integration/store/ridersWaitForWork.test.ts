/**
 * Issue 14: bookkeeping writes (`writeGrouped`) past their window keep waiting
 * for a transaction to ride in while work of the process that will write is
 * running (`expectWrites`, a task run), and stop waiting when that work ends
 * or is itself waiting for a rider. Counted by the store itself
 * (`stats.writeTransactions`). Real libSQL on a temporary file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { searchState as settings } from "@shared/adapters/libsql/schema";

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "riders-wait-"));
  store = Store.open({ url: `file:${path.join(dir, "store.db")}`, groupCommitMs: 5 });
  await store.migrate();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const transactions = () => store.stats.snapshot().writeTransactions;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const put = (key: string) => store.writeGrouped((tx) => tx.insert(settings).values({ key, value: key }).onConflictDoNothing());
const stored = async (key: string) => (await store.db.select().from(settings).where(eq(settings.key, key))).length === 1;

describe("riders wait for running work", () => {
  it("a rider past its window rides in the write of work still running", async () => {
    await store.flushGrouped();
    const before = transactions();
    const work = store.expectWrites(async () => {
      // Longer than the rider's 5 ms window: without the wait it would commit alone.
      await sleep(60);
      await store.write((tx) => tx.insert(settings).values({ key: "work-a", value: "1" }));
    });
    await Promise.all([put("rider-a"), work]);
    expect(transactions() - before).toBe(1);
    expect(await stored("rider-a")).toBe(true);
  });

  it("work that ends without writing lets the rider commit", async () => {
    await store.flushGrouped();
    const before = transactions();
    const work = store.expectWrites(() => sleep(30));
    await Promise.all([put("rider-b"), work]);
    expect(transactions() - before).toBe(1);
    expect(await stored("rider-b")).toBe(true);
  });

  it("work waiting for its own rider is no company: the riders commit together without another write", async () => {
    await store.flushGrouped();
    const before = transactions();
    await Promise.all([store.expectWrites(() => put("parked-1")), store.expectWrites(() => put("parked-2"))]);
    expect(transactions() - before).toBe(1);
    expect((await stored("parked-1")) && (await stored("parked-2"))).toBe(true);
  });

  it("with a window of 0 (AWS Lambda) a rider never waits for company", async () => {
    const lambda = Store.open({ url: `file:${path.join(dir, "store.db")}`, groupCommitMs: 0 });
    try {
      const before = lambda.stats.snapshot().writeTransactions;
      let committed = false;
      const work = lambda.expectWrites(async () => {
        await lambda.writeGrouped((tx) => tx.insert(settings).values({ key: "lambda", value: "1" })).then(() => (committed = true));
        // The rider committed on its own before this work wrote anything.
        expect(committed).toBe(true);
        await lambda.write((tx) => tx.insert(settings).values({ key: "lambda-work", value: "1" }));
      });
      await work;
      expect(lambda.stats.snapshot().writeTransactions - before).toBe(2);
    } finally {
      lambda.close();
    }
  });
});
