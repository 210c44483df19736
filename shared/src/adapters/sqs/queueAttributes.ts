/**
 * The one description of a task queue and its dead-letter queue: fauxqs setup
 * (queueTopology.ts), the LocalStack/fauxqs definitions
 * (local/localstack/resources.ts), the CDK construct
 * (infra/lib/constructs/task-route.ts) and the CDK assertions all read it, so
 * a local queue cannot drift from the deployed one (it did: LocalStack was
 * sent `maxReceiveCount` as a string, everything else a number).
 */
import { visibilityTimeoutSeconds, type Route } from "../../events/routing";

/** How long an unprocessed task waits in its queue. */
export const TASK_QUEUE_RETENTION_SECONDS = 4 * 24 * 3600;
/** How long a dead letter is kept for inspection and replay. */
export const DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600;

export interface TaskQueueSettings {
  delaySeconds: number;
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  /** Receives before SQS moves a message to the DLQ: the first attempt plus the route's retries. */
  maxReceiveCount: number;
}

export function taskQueueSettings(route: Route): TaskQueueSettings {
  return {
    delaySeconds: route.delaySeconds,
    visibilityTimeoutSeconds: visibilityTimeoutSeconds(route),
    retentionSeconds: TASK_QUEUE_RETENTION_SECONDS,
    maxReceiveCount: route.maxRetries + 1,
  };
}

/** The redrive policy as SQS and CloudFormation spell it (maxReceiveCount a number). */
export function redrivePolicy(route: Route, dlqArn: string): { deadLetterTargetArn: string; maxReceiveCount: number } {
  return { deadLetterTargetArn: dlqArn, maxReceiveCount: taskQueueSettings(route).maxReceiveCount };
}

/** CreateQueue / SetQueueAttributes attributes of a task queue (the SQS API takes strings). */
export function taskQueueAttributes(route: Route, dlqArn: string): Record<string, string> {
  const s = taskQueueSettings(route);
  return {
    DelaySeconds: String(s.delaySeconds),
    VisibilityTimeout: String(s.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(s.retentionSeconds),
    RedrivePolicy: JSON.stringify(redrivePolicy(route, dlqArn)),
  };
}

export function deadLetterQueueAttributes(): Record<string, string> {
  return { MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS) };
}
