/**
 * The queues and rules of the routing table as plain definitions for local
 * emulators (fauxqs, LocalStack). Same table, same names and timings as the
 * CDK stack, so a local run behaves like a deployment.
 */
import { EVENT_SOURCE } from "@shared/events/catalogue";
import { dlqName, queueName, routes as routingTable, type Route } from "@shared/events/routing";
import { deadLetterQueueAttributes, taskQueueAttributes } from "@shared/adapters/sqs/queueAttributes";

/** What emulators use when no real account exists. */
export const EMULATOR_ACCOUNT_ID = "000000000000";
export const EMULATOR_REGION = "us-east-1";

export interface QueueDefinition {
  name: string;
  attributes: Record<string, string>;
}

export interface RuleDefinition {
  name: string;
  /** EventBridge pattern JSON (keys as EventBridge spells them). */
  pattern: { source: string[]; "detail-type": string[]; detail?: Record<string, unknown[]> };
  targetQueue: string;
}

export interface LocalResourceOptions {
  table?: readonly Route[];
  prefix?: string;
  region?: string;
  accountId?: string;
}

/** DLQs first: a queue's redrive policy must point at a queue that exists. */
export function queueDefinitions(options: LocalResourceOptions = {}): QueueDefinition[] {
  const { table = routingTable, prefix = "alexandria", region = EMULATOR_REGION, accountId = EMULATOR_ACCOUNT_ID } = options;
  const dlqs = table.map((r) => ({
    name: dlqName(r.task, prefix),
    attributes: deadLetterQueueAttributes(),
  }));
  const queues = table.map((r) => ({
    name: queueName(r.task, prefix),
    attributes: taskQueueAttributes(r, `arn:aws:sqs:${region}:${accountId}:${dlqName(r.task, prefix)}`),
  }));
  return [...dlqs, ...queues];
}

export function ruleDefinitions(options: LocalResourceOptions = {}): RuleDefinition[] {
  const { table = routingTable, prefix = "alexandria" } = options;
  return table.map((r) => ({
    name: `${prefix}-${r.task}`,
    pattern: {
      source: [EVENT_SOURCE],
      "detail-type": [...r.events],
      ...(r.condition ? { detail: { [r.condition.field]: [r.condition.equals] } } : {}),
    },
    targetQueue: queueName(r.task, prefix),
  }));
}

/** The init file fauxqs reads at start (FAUXQS_INIT). */
export function fauxqsInit(options: LocalResourceOptions = {}): { queues: QueueDefinition[] } {
  return { queues: queueDefinitions(options) };
}
