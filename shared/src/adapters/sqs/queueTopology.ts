/**
 * Creates (or updates) every route's queue and DLQ from the routing table, for
 * the local runtime. On AWS, CDK builds the same topology from the same table.
 */
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SetQueueAttributesCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import { deadLetterQueueAttributes, taskQueueAttributes } from "./queueAttributes";
import { dlqName, queueName, type Route, type TaskName } from "../../events/routing";

export interface RouteQueues {
  task: TaskName;
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

export type Topology = Map<TaskName, RouteQueues>;

/** Kept under its old name for callers; the attributes come from the one builder. */
export const queueAttributesFor = taskQueueAttributes;

async function arnOf(sqs: SQSClient, url: string): Promise<string> {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  const arn = res.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

async function createOrUpdate(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const res = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (res.QueueUrl) return res.QueueUrl;
  } catch (e) {
    // CreateQueue refuses different attributes for an existing queue: update them instead.
    if (!(e instanceof Error) || !/exist|attribute/i.test(`${e.name} ${e.message}`)) throw e;
  }
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`queue ${name} not found`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

export async function ensureQueues(sqs: SQSClient, table: readonly Route[], prefix: string): Promise<Topology> {
  const topology: Topology = new Map();
  for (const route of table) {
    const dlqUrl = await createOrUpdate(sqs, dlqName(route.task, prefix), deadLetterQueueAttributes());
    const dlqArn = await arnOf(sqs, dlqUrl);
    const queueUrl = await createOrUpdate(sqs, queueName(route.task, prefix), queueAttributesFor(route, dlqArn));
    topology.set(route.task, { task: route.task, queueUrl, queueArn: await arnOf(sqs, queueUrl), dlqUrl, dlqArn });
  }
  return topology;
}

/** Finds existing queues by name (AWS: created by CDK). */
export async function resolveQueues(sqs: SQSClient, table: readonly Route[], prefix: string): Promise<Topology> {
  const topology: Topology = new Map();
  for (const route of table) {
    const q = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(route.task, prefix) }));
    const d = await sqs.send(new GetQueueUrlCommand({ QueueName: dlqName(route.task, prefix) }));
    if (!q.QueueUrl || !d.QueueUrl) throw new Error(`queues of ${route.task} not found`);
    topology.set(route.task, { task: route.task, queueUrl: q.QueueUrl, queueArn: "", dlqUrl: d.QueueUrl, dlqArn: "" });
  }
  return topology;
}
