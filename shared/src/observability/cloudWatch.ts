/**
 * What only CloudWatch knows, read with GetMetricData (one call for every
 * queue or function): the age of each queue's oldest message, and each task
 * function's concurrency, invocations, errors and throttles. Used on AWS only.
 */
import { GetMetricDataCommand, type CloudWatchClient, type MetricDataQuery, type MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { capacityFor } from "../events/priority";
import type { Route } from "../events/routing";
import type { FunctionHealth, OldestMessageAge, QueueRef } from "./runtime";
import { ALL_DEGRADED_MODES, DEGRADED_METRIC, sumDegraded, type DegradedMode } from "./degradation";

export type MetricDataClient = Pick<CloudWatchClient, "send">;

/** The task function of a route, as infra names it (`infra/lib/constructs/task-route.ts`). */
export function taskFunctionName(prefix: string, task: string): string {
  return `${prefix}-task-${task}`;
}

async function getMetricData(cw: MetricDataClient, queries: MetricDataQuery[], start: Date, end: Date): Promise<Map<string, MetricDataResult>> {
  const out = new Map<string, MetricDataResult>();
  // GetMetricData takes at most 500 queries per call.
  for (let i = 0; i < queries.length; i += 500) {
    let nextToken: string | undefined;
    do {
      const res = await cw.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + 500),
          StartTime: start,
          EndTime: end,
          ScanBy: "TimestampDescending",
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
      );
      for (const r of res.MetricDataResults ?? []) {
        if (!r.Id) continue;
        const prev = out.get(r.Id);
        out.set(r.Id, prev ? { ...prev, Values: [...(prev.Values ?? []), ...(r.Values ?? [])], Timestamps: [...(prev.Timestamps ?? []), ...(r.Timestamps ?? [])] } : r);
      }
      nextToken = res.NextToken;
    } while (nextToken);
  }
  return out;
}

/** ApproximateAgeOfOldestMessage (Maximum, 1-minute points) of each queue: the newest point in the last 10 minutes. */
export async function cloudWatchOldestAges(cw: MetricDataClient, queues: readonly QueueRef[], now = new Date()): Promise<Map<string, OldestMessageAge>> {
  const queries: MetricDataQuery[] = queues.map((q, i) => ({
    Id: `q${i}`,
    MetricStat: {
      Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: q.name }] },
      Period: 60,
      Stat: "Maximum",
    },
    ReturnData: true,
  }));
  const results = queries.length > 0 ? await getMetricData(cw, queries, new Date(now.getTime() - 10 * 60_000), now) : new Map<string, MetricDataResult>();
  const out = new Map<string, OldestMessageAge>();
  queues.forEach((q, i) => {
    const newest = results.get(`q${i}`)?.Values?.[0];
    out.set(q.url, { seconds: newest === undefined ? null : Math.round(newest), source: "cloudwatch" });
  });
  return out;
}

/** Each task function's figures over the last `windowMinutes` (one datapoint per metric). */
export async function lambdaFunctionHealth(cw: MetricDataClient, routes: readonly Route[], prefix: string, windowMinutes = 15, now = new Date()): Promise<FunctionHealth[]> {
  const period = windowMinutes * 60;
  const metrics = [
    ["c", "ConcurrentExecutions", "Maximum"],
    ["n", "Invocations", "Sum"],
    ["e", "Errors", "Sum"],
    ["t", "Throttles", "Sum"],
  ] as const;
  const queries: MetricDataQuery[] = routes.flatMap((r, i) =>
    metrics.map(([id, name, stat]) => ({
      Id: `${id}${i}`,
      MetricStat: {
        Metric: { Namespace: "AWS/Lambda", MetricName: name, Dimensions: [{ Name: "FunctionName", Value: taskFunctionName(prefix, r.task) }] },
        Period: period,
        Stat: stat,
      },
      ReturnData: true,
    })),
  );
  const results = await getMetricData(cw, queries, new Date(now.getTime() - period * 1000), now);
  // No datapoint means the function did not run in the window: zero, not unknown.
  const value = (id: string): number => results.get(id)?.Values?.[0] ?? 0;
  return routes.map((r, i) => ({
    task: r.task,
    functionName: taskFunctionName(prefix, r.task),
    windowMinutes,
    concurrentExecutions: value(`c${i}`),
    invocations: value(`n${i}`),
    errors: value(`e${i}`),
    throttles: value(`t${i}`),
    maxConcurrency: capacityFor(r.priority).lambdaMaxConcurrency,
  }));
}

/** Occurrences of each degraded mode across all functions over the last `windowMinutes` (EMF `Degraded`, dimensions service + Mode). */
export async function cloudWatchDegraded(cw: MetricDataClient, namespace: string, serviceName: string, windowMinutes = 60, now = new Date()): Promise<Record<DegradedMode, number>> {
  const period = windowMinutes * 60;
  const queries: MetricDataQuery[] = ALL_DEGRADED_MODES.map((mode, i) => ({
    Id: `d${i}`,
    MetricStat: {
      Metric: { Namespace: namespace, MetricName: DEGRADED_METRIC, Dimensions: [{ Name: "service", Value: serviceName }, { Name: "Mode", Value: mode }] },
      Period: period,
      Stat: "Sum",
    },
    ReturnData: true,
  }));
  const results = await getMetricData(cw, queries, new Date(now.getTime() - period * 1000), now);
  return sumDegraded([Object.fromEntries(ALL_DEGRADED_MODES.map((mode, i) => [mode, results.get(`d${i}`)?.Values?.[0] ?? 0]))]);
}
