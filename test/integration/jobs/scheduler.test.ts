/**
 * The local scheduler: fires jobs when their cron matches (seconds-level
 * patterns in an override table), never overlaps a job with itself, survives
 * failing jobs, honours time zones, and is started and stopped by the stack.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobRuns } from "@shared/adapters/libsql/schema";
import { JobNames, type JobName, type Schedule } from "@shared/events/schedules";
import { startScheduler } from "@local/scheduler";
import { startTestStack, waitFor, type TestStack } from "../../helpers/stack";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

const everySecond = (job: JobName): Schedule => ({ job, cron: "* * * * * *", timeZone: "UTC", description: "test" });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quietLogger = () => {
  const errors: unknown[][] = [];
  const warnings: unknown[][] = [];
  return {
    errors,
    warnings,
    logger: { debug: () => undefined, info: () => undefined, warn: (...a: unknown[]) => void warnings.push(a), error: (...a: unknown[]) => void errors.push(a) },
  };
};

describe("local scheduler", () => {
  it("runs the job through runJob when its cron matches, and stops firing on stop()", async () => {
    const { logger } = quietLogger();
    const scheduler = startScheduler(stack.app, { table: [everySecond("cache-cleanup")], logger: logger as never });
    const succeeded = () => stack.app.store.db.select().from(jobRuns).where(and(eq(jobRuns.job, "cache-cleanup"), eq(jobRuns.status, "succeeded")));
    const [first] = await waitFor(async () => {
      const rows = await succeeded();
      return rows.length > 0 ? rows : undefined;
    }, 5_000);
    expect(first!.summary).toMatchObject({ taskRunsPruned: expect.any(Number) });
    await scheduler.stop();
    const after = (await succeeded()).length;
    await sleep(1_500);
    expect((await succeeded()).length).toBe(after);
    expect(scheduler.jobs[0]!.runs).toBeGreaterThanOrEqual(1);
  });

  it("never runs a job while its previous run is still going", async () => {
    const { logger } = quietLogger();
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const scheduler = startScheduler(stack.app, {
      table: [everySecond("reconciler")],
      logger: logger as never,
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await sleep(2_500);
        active--;
        runs++;
      },
    });
    await sleep(5_500);
    await scheduler.stop();
    expect(maxActive).toBe(1);
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(scheduler.jobs[0]!.skippedOverlaps).toBeGreaterThanOrEqual(2);
  });

  it("logs a failing job and keeps firing it", async () => {
    const { logger, errors } = quietLogger();
    const scheduler = startScheduler(stack.app, {
      table: [everySecond("quality-outliers")],
      logger: logger as never,
      run: async () => {
        throw new Error("boom");
      },
    });
    await waitFor(async () => scheduler.jobs[0]!.failures >= 2, 5_000);
    await scheduler.stop();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(errors[0])).toContain("boom");
  });

  it("waits on stop() for a run in progress", async () => {
    const { logger } = quietLogger();
    let finished = false;
    const scheduler = startScheduler(stack.app, {
      table: [everySecond("quality-degradation")],
      logger: logger as never,
      run: async () => {
        await sleep(800);
        finished = true;
      },
    });
    await waitFor(async () => scheduler.jobs[0]!.running, 3_000, 20);
    await scheduler.stop();
    expect(finished).toBe(true);
  });

  it("reads the cron in the table's time zone", async () => {
    const scheduler = startScheduler(stack.app, {
      table: [
        { job: "quality-degradation", cron: "0 2 * * *", timeZone: "UTC", description: "" },
        { job: "cache-cleanup", cron: "0 2 * * *", timeZone: "Asia/Kolkata", description: "" },
      ],
      run: async () => undefined,
    });
    const [utc, kolkata] = scheduler.jobs.map((j) => j.nextRun()!);
    await scheduler.stop();
    expect(utc!.getUTCHours()).toBe(2);
    expect(utc!.getUTCMinutes()).toBe(0);
    // 02:00 in Kolkata (UTC+05:30) is 20:30 UTC the day before.
    expect(kolkata!.getUTCHours()).toBe(20);
    expect(kolkata!.getUTCMinutes()).toBe(30);
  });

  it("is started by the local stack with the whole schedule table, and stopped with it", async () => {
    const withScheduler = await startTestStack({ scheduler: true, api: false, workers: false });
    try {
      expect(withScheduler.scheduler!.jobs.map((j) => j.job).sort()).toEqual([...JobNames].sort());
      expect(withScheduler.scheduler!.jobs.every((j) => j.nextRun() instanceof Date)).toBe(true);
    } finally {
      await withScheduler.dispose();
    }
    expect(stack.scheduler).toBeUndefined();
  });
});
