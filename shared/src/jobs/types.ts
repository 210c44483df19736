import type { JobName } from "../events/schedules";
import type { AppContext } from "../app/context";

/** A scheduled job: does its work now and returns a summary for the job log and `job.completed`. */
export interface JobDefinition {
  name: JobName;
  run(app: AppContext): Promise<Record<string, unknown>>;
}
