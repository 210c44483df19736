/** Job name → job; the schedule table says when each runs. */
import { desc, eq } from "drizzle-orm";
import type { JobName } from "../events/schedules";
import { jobRuns } from "../adapters/libsql/schema";
import { errorMessage } from "../errors";
import type { AppContext } from "../app/context";
import type { JobDefinition } from "./types";
import { outboxSweepJob } from "./outboxSweep";

export const jobRegistry: Partial<Record<JobName, JobDefinition>> = {
  "outbox-sweep": outboxSweepJob,
};

/** Runs a job now, recording it in `job_runs` and announcing `job.completed`. */
export async function runJob(app: AppContext, name: JobName): Promise<Record<string, unknown>> {
  const job = jobRegistry[name];
  if (!job) throw new Error(`unknown job ${name}`);
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
