/**
 * Lambda entry: one function per route (TASK_NAME), fed by its queue's event
 * source mapping with partial batch responses. The same consumer runs locally
 * behind the poller.
 */
import middy from "@middy/core";
import { SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { routeFor, TaskNames, type TaskName } from "@shared/events/routing";
import { taskFor } from "@shared/tasks/registry";
import { createSqsConsumer, type SqsHandler } from "@shared/tasks/sqsConsumer";
import { getApp } from "../compose";
import { logMetrics } from "@aws-lambda-powertools/metrics/middleware";
import { flushDegradedAfter, lambdaMetrics } from "@shared/observability/emfMetrics";

const taskName = process.env.TASK_NAME as TaskName;
let consumer: SqsHandler | undefined;

async function consume(event: SQSEvent): Promise<SQSBatchResponse> {
  if (!consumer) {
    if (!TaskNames.includes(taskName)) throw new Error(`TASK_NAME ${String(taskName)} is not a task`);
    const task = taskFor(taskName);
    if (!task) throw new Error(`no task registered for ${taskName}`);
    const app = await getApp();
    consumer = createSqsConsumer({
      app,
      task,
      route: routeFor(taskName, app.routes),
      sqs: new SQSClient({}),
      queueUrl: process.env.QUEUE_URL ?? "",
      dlqUrl: process.env.DLQ_URL ?? "",
    });
  }
  return consumer(event);
}

// Task metrics (TaskSucceeded/TaskFailed/TaskRetried, Task dimension) and degraded modes are flushed once per invocation.
export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logMetrics(lambdaMetrics(), { captureColdStartMetric: true }))
  .handler(flushDegradedAfter(consume));
