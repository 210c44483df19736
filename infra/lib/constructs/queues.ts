/** Queue defaults every queue of the system shares. */
import { Duration, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct } from "constructs";
import { DEAD_LETTER_RETENTION_SECONDS } from "@shared/adapters/sqs/queueAttributes";

/** Dead letters are kept as long as SQS allows, so nothing expires before someone looks. */
export const DEAD_LETTER_RETENTION = Duration.seconds(DEAD_LETTER_RETENTION_SECONDS);

export function deadLetterQueue(scope: Construct, id: string, queueName: string, role: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    queueName,
    retentionPeriod: DEAD_LETTER_RETENTION,
    // SSE-SQS: encrypted at rest with no KMS key to pay for or to grant to EventBridge and Scheduler.
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  Validations.of(queue).acknowledge({
    id: "AwsSolutions-SQS3",
    reason: `This queue is itself a dead-letter queue (${role}); a DLQ of a DLQ would only move the problem.`,
  });
  return queue;
}
