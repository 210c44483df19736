/** Lambda entry: EventBridge Scheduler invokes it with `{ "job": "<name>" }`. */
import middy from "@middy/core";
import { JobNames, type JobName } from "@shared/events/schedules";
import { runJob } from "@shared/jobs/registry";
import { getApp } from "../compose";
import { flushMetricsAfter } from "@shared/observability/emfMetrics";

export interface JobInput {
  job: string;
}

async function run(input: JobInput): Promise<Record<string, unknown>> {
  if (!JobNames.includes(input.job as JobName)) throw new Error(`unknown job ${input.job}`);
  return runJob(await getApp(), input.job as JobName);
}

export const handler = middy<JobInput, Record<string, unknown>>().handler(flushMetricsAfter(run));
