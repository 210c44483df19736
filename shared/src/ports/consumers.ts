/**
 * The narrow port between queue consumers and those who run or watch them:
 * the handler a consumer calls with a batch of SQS records (Lambda's event
 * source mapping, or the local poller) and the figures a consumer reports.
 * Kept apart so the application context and monitoring never import the
 * local poller, and the poller never imports the tasks (no import cycle).
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";

/** Runs a batch of records; answers the ones to leave on the queue (partial batch failure). */
export type SqsBatchHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/** What a running queue consumer reports (monitoring, worker reports, dashboard). */
export interface ConsumerStats {
  queue: string;
  task: string;
  alive: boolean;
  concurrency: number;
  activeBatches: number;
  activeMessages: number;
  processed: number;
  failed: number;
  batches: number;
  lastHeartbeat: string | null;
}
