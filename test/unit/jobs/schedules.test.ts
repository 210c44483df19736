/**
 * The schedule table as the local scheduler reads it (croner, time zone from
 * the table): each job fires exactly when requirement 6 says.
 */
import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import { schedules, type JobName } from "@shared/events/schedules";

function nextRuns(job: JobName, n: number, from: string): string[] {
  const entry = schedules.find((s) => s.job === job);
  if (!entry) throw new Error(`no schedule for ${job}`);
  // paused: only the calendar is wanted, no timer.
  return new Cron(entry.cron, { timezone: entry.timeZone, paused: true }).nextRuns(n, new Date(from)).map((d) => d.toISOString());
}

describe("schedule table under croner", () => {
  // Saturday 2025-03-01 12:00 UTC.
  const from = "2025-03-01T12:00:00.000Z";

  it("quality degradation: daily at 02:00 UTC", () => {
    expect(nextRuns("quality-degradation", 2, from)).toEqual(["2025-03-02T02:00:00.000Z", "2025-03-03T02:00:00.000Z"]);
  });

  it("quality outliers: Sundays at 03:00 UTC", () => {
    const runs = nextRuns("quality-outliers", 3, from);
    expect(runs).toEqual(["2025-03-02T03:00:00.000Z", "2025-03-09T03:00:00.000Z", "2025-03-16T03:00:00.000Z"]);
    expect(runs.every((r) => new Date(r).getUTCDay() === 0)).toBe(true);
  });

  it("classifier retraining: the 1st of each month at 00:00 UTC", () => {
    expect(nextRuns("classifier-retraining", 3, from)).toEqual(["2025-04-01T00:00:00.000Z", "2025-05-01T00:00:00.000Z", "2025-06-01T00:00:00.000Z"]);
  });

  it("cache cleanup: daily at 04:00 UTC", () => {
    expect(nextRuns("cache-cleanup", 2, from)).toEqual(["2025-03-02T04:00:00.000Z", "2025-03-03T04:00:00.000Z"]);
  });

  it("reconciler: every five minutes", () => {
    expect(nextRuns("reconciler", 3, "2025-03-01T12:03:10.000Z")).toEqual(["2025-03-01T12:05:00.000Z", "2025-03-01T12:10:00.000Z", "2025-03-01T12:15:00.000Z"]);
  });

  it("every job in the table has a job definition", async () => {
    const { jobRegistry } = await import("@shared/jobs/registry");
    for (const s of schedules) expect(jobRegistry[s.job], s.job).toBeDefined();
  });
});
