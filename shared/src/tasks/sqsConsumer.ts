/**
 * The SQS side of a task: turns a Lambda SQS event into queue messages, runs
 * them, and applies each message's fate with the queue API. The same function
 * serves Lambda's event source mapping and the local poller.
 */
import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse } from "aws-lambda";
import type { Route } from "../events/routing";
import type { AppContext } from "../app/context";
import { logger } from "../observability/logger";
import { errorMessage } from "../errors";
import { TaskRunner } from "./runner";
import type { TaskDefinition } from "./types";
import type { SqsBatchHandler } from "../ports/consumers";

export interface ConsumerOptions {
  app: AppContext;
  task: TaskDefinition;
  route: Route;
  sqs: SQSClient;
  queueUrl: string;
  dlqUrl: string;
}

export type SqsHandler = SqsBatchHandler;

export function createSqsConsumer(options: ConsumerOptions): SqsHandler {
  const runner = new TaskRunner(options.app, options.task, options.route);
  return async (event) => {
    const records = event.Records;
    const fates = await runner.runMessages(
      records.map((r) => ({ messageId: r.messageId, body: r.body, attempt: Number(r.attributes.ApproximateReceiveCount ?? "1") })),
    );
    const failures: SQSBatchResponse["batchItemFailures"] = [];
    await Promise.all(
      records.map(async (record, i) => {
        const fate = fates[i];
        if (!fate || fate.kind === "done") return;
        if (fate.kind === "retry") {
          failures.push({ itemIdentifier: record.messageId });
          await options.sqs
            .send(new ChangeMessageVisibilityCommand({ QueueUrl: options.queueUrl, ReceiptHandle: record.receiptHandle, VisibilityTimeout: fate.delaySeconds }))
            .catch((e: unknown) => logger.warn("could not set retry backoff; the queue's visibility timeout applies", { error: errorMessage(e) }));
          return;
        }
        try {
          await options.sqs.send(
            new SendMessageCommand({
              QueueUrl: options.dlqUrl,
              MessageBody: record.body,
              MessageAttributes: {
                task: { DataType: "String", StringValue: options.task.name },
                error: { DataType: "String", StringValue: fate.error.slice(0, 1000) || "unknown" },
                attempts: { DataType: "Number", StringValue: String(record.attributes.ApproximateReceiveCount ?? "1") },
                failedAt: { DataType: "String", StringValue: new Date().toISOString() },
                sourceQueueUrl: { DataType: "String", StringValue: options.queueUrl },
              },
            }),
          );
        } catch (e) {
          // Could not dead-letter it ourselves: leave it on the queue; maxReceiveCount redrive is the backstop.
          logger.error("could not send to DLQ", { error: errorMessage(e) });
          failures.push({ itemIdentifier: record.messageId });
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
