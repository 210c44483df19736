/**
 * Creates the routing table's queues, DLQs, bus, rules and targets in an AWS
 * emulator (LocalStack) or, for queues only, in fauxqs:
 *
 *   AWS_ENDPOINT_URL=http://localhost:4567 npx tsx local/localstack/create-resources.ts
 *   AWS_ENDPOINT_URL=http://localhost:4566 npx tsx local/localstack/create-resources.ts --queues-only
 *
 * Idempotent: existing queues and rules are updated in place. Schedules are not
 * created (no Scheduler client in this package); the local runtime fires the
 * schedule table itself.
 */
import { EventBridgeClient, CreateEventBusCommand, PutRuleCommand, PutTargetsCommand, ResourceAlreadyExistsException } from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { queueDefinitions, ruleDefinitions, EMULATOR_REGION } from "./resources";

const endpoint = process.env.AWS_ENDPOINT_URL;
if (!endpoint) {
  process.stderr.write("AWS_ENDPOINT_URL must point at the emulator (this script never talks to a real account)\n");
  process.exit(2);
}
const prefix = process.env.QUEUE_PREFIX ?? "alexandria";
const busName = process.env.EVENT_BUS_NAME ?? prefix;
const queuesOnly = process.argv.includes("--queues-only");
const clientConfig = {
  endpoint,
  region: process.env.AWS_REGION ?? EMULATOR_REGION,
  credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "test", secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "test" },
};
const sqs = new SQSClient(clientConfig);

const queueArns = new Map<string, string>();
for (const queue of queueDefinitions({ prefix })) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  if (Attributes?.QueueArn) queueArns.set(queue.name, Attributes.QueueArn);
  process.stdout.write(`queue ${queue.name}\n`);
}

if (!queuesOnly) {
  const events = new EventBridgeClient(clientConfig);
  try {
    await events.send(new CreateEventBusCommand({ Name: busName }));
  } catch (error) {
    if (!(error instanceof ResourceAlreadyExistsException)) throw error;
  }
  for (const rule of ruleDefinitions({ prefix })) {
    const arn = queueArns.get(rule.targetQueue);
    if (!arn) throw new Error(`no ARN for queue ${rule.targetQueue}`);
    await events.send(new PutRuleCommand({ Name: rule.name, EventBusName: busName, EventPattern: JSON.stringify(rule.pattern) }));
    await events.send(new PutTargetsCommand({ Rule: rule.name, EventBusName: busName, Targets: [{ Id: "queue", Arn: arn }] }));
    process.stdout.write(`rule ${rule.name} -> ${rule.targetQueue}\n`);
  }
}
