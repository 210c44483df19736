/** Job name → job; the schedule table says when each runs. */
import { desc, eq } from "drizzle-orm";
import type { JobName } from "../events/schedules";
import { jobRuns } from "../adapters/libsql/schema";
import { errorMessage } from "../errors";
import type { AppContext } from "../app/context";
import type { JobDefinition } from "./types";
import { outboxSweepJob } from "./outboxSweep";
import { qualityDegradationJob } from "./qualityDegradation";
import { qualityOutliersJob } from "./qualityOutliers";
import { classifierRetrainingJob } from "./classifierRetraining";
import { cacheCleanupJob } from "./cacheCleanup";
import { reconcilerJob } from "./reconciler";

export const jobRegistry: Partial<Record<JobName, JobDefinition>> = {
  "outbox-sweep": outboxSweepJob,
  "quality-degradation": qualityDegradationJob,
  "quality-outliers": qualityOutliersJob,
  "classifier-retraining": classifierRetrainingJob,
  "cache-cleanup": cacheCleanupJob,
  reconciler: reconcilerJob,
};

/**
 * Runs a job now, recording it in `job_runs` and announcing `job.completed`.
 * A definition instead of a name runs a job built with other options (tests).
 */
export async function runJob(app: AppContext, nameOrJob: JobName | JobDefinition): Promise<Record<string, unknown>> {
  const job = typeof nameOrJob === "string" ? jobRegistry[nameOrJob] : nameOrJob;
  if (!job) throw new Error(`unknown job ${String(nameOrJob)}`);
  const name = job.name;
  const startedAt = new Date().toISOString();
  const [row] = await app.store.write((tx) => tx.insert(jobRuns).values({ job: name, startedAt, status: "running" }).returning({ id: jobRuns.id }));
  try {
    const summary = await job.run(app);
    await app.store.write((tx) => tx.update(jobRuns).set({ status: "succeeded", finishedAt: new Date().toISOString(), summary }).where(eq(jobRuns.id, row!.id)));
    void app.emitter.emit("job.completed", { job: name, summary });
    return summary;
  } catch (e) {
    await app.store.write((tx) => tx.update(jobRuns).set({ status: "failed", finishedAt: new Date().toISOString(), summary: { error: errorMessage(e) } }).where(eq(jobRuns.id, row!.id)));
    throw e;
  }
}

export async function lastRun(app: AppContext, name: JobName) {
  return app.store.db.query.jobRuns.findFirst({ where: eq(jobRuns.job, name), orderBy: desc(jobRuns.id) });
}
