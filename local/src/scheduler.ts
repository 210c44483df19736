/**
 * The local stand-in for EventBridge Scheduler: fires the schedule table with
 * croner, in each entry's time zone. A job never overlaps itself (a run still
 * going when the next tick comes is skipped, as a Lambda with reserved
 * concurrency 1 would be); a failing job is logged and the schedule goes on.
 */
import { Cron } from "croner";
import { schedules as scheduleTable, type JobName, type Schedule } from "@shared/events/schedules";
import { runJob } from "@shared/jobs/registry";
import { errorMessage } from "@shared/errors";
import { logger as defaultLogger, type AppLogger } from "@shared/observability/logger";
import type { AppContext } from "@shared/app/context";

export interface SchedulerOptions {
  /** Another table (tests: seconds-level patterns; croner reads a sixth, leading seconds field). */
  table?: readonly Schedule[];
  /** What a tick does; default: `runJob` (records job_runs, emits job.completed). */
  run?: (app: AppContext, job: JobName) => Promise<unknown>;
  logger?: AppLogger;
}

export interface ScheduledJobState {
  job: JobName;
  cron: string;
  timeZone: string;
  runs: number;
  failures: number;
  /** Ticks that found the previous run still going. */
  skippedOverlaps: number;
  running: boolean;
  nextRun(): Date | null;
}

export interface Scheduler {
  readonly jobs: readonly ScheduledJobState[];
  /** Stops firing, then waits for runs in progress so nothing is cut off mid-write. */
  stop(): Promise<void>;
}

export function startScheduler(app: AppContext, options: SchedulerOptions = {}): Scheduler {
  const table = options.table ?? scheduleTable;
  const run = options.run ?? runJob;
  const log = options.logger ?? defaultLogger;
  const inFlight = new Map<JobName, Promise<void>>();
  const crons: Cron[] = [];
  const jobs: ScheduledJobState[] = [];

  for (const entry of table) {
    const state: ScheduledJobState = {
      job: entry.job,
      cron: entry.cron,
      timeZone: entry.timeZone,
      runs: 0,
      failures: 0,
      skippedOverlaps: 0,
      running: false,
      nextRun: () => cron.nextRun(),
    };
    const tick = () => {
      if (inFlight.has(entry.job)) {
        state.skippedOverlaps++;
        log.warn("scheduled job skipped: previous run still in progress", { job: entry.job });
        return;
      }
      state.running = true;
      const started = Date.now();
      const p = (async () => {
        try {
          const summary = await run(app, entry.job);
          state.runs++;
          log.info("scheduled job completed", { job: entry.job, durationMs: Date.now() - started, summary });
        } catch (e) {
          // Swallowed on purpose: one failed run must not stop the schedule (job_runs records it as failed).
          state.failures++;
          log.error("scheduled job failed", { job: entry.job, durationMs: Date.now() - started, error: errorMessage(e) });
        } finally {
          state.running = false;
          inFlight.delete(entry.job);
        }
      })();
      inFlight.set(entry.job, p);
    };
    // unref: the HTTP server and pollers decide when the process lives, not the timers.
    const cron = new Cron(entry.cron, { timezone: entry.timeZone, unref: true }, tick);
    crons.push(cron);
    jobs.push(state);
  }

  return {
    jobs,
    async stop() {
      for (const c of crons) c.stop();
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
