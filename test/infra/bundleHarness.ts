/**
 * The cloud around the synthesized bundles, made of local parts:
 *
 * - SQS: fauxqs, with the queues (delays, visibility timeouts, redrive) the
 *   template declares;
 * - libSQL: the Hrana-over-HTTP stand-in over a fresh file, its URL and token
 *   in the libSQL secret;
 * - Redis: a cluster-mode, TLS-only server like ElastiCache Serverless;
 * - Secrets Manager, EventBridge, Bedrock, CloudWatch: the recording fake;
 * - Lambda: `startFunction` runs a bundle in a child process with the
 *   template's environment plus what Lambda's runtime adds, signed in as the
 *   function's role; `deliver` does what the bus rules and an SQS target do
 *   with published events; `drain` does what an event source mapping does
 *   (receive a batch, invoke, delete all but the reported failures).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { startFauxqs } from "fauxqs";
import { startAwsFake, type AwsFake, type PutEventsEntry } from "../helpers/awsRecordingFake";
import { startLambda, type Invocation, type LambdaProcess } from "../helpers/lambdaProcess";
import { startLibsqlServerStandIn, type LibsqlServerStandIn } from "../helpers/libsqlServerStandIn";
import { startRedisClusterTls, type RedisClusterTls } from "../helpers/redisClusterTls";
import { ACCOUNT, Deployment, REGION, type EventBridgeEvent, type LambdaSpec, type TemplateJson } from "./deployment";

export interface Harness {
  deployment: Deployment;
  aws: AwsFake;
  libsql: LibsqlServerStandIn;
  redis: RedisClusterTls;
  libsqlSecretArn: string;
  /** Starts a function (cold start); `extraEnv` only for what the test must add. */
  startFunction(functionName: string): Promise<RunningFunction>;
  /** The environment a function's container gets: the template's, what Lambda's runtime adds, the stand-ins. */
  environment(functionName: string): Record<string, string>;
  /** Publishes the PutEvents entries recorded since the last call to the queues their rules target. */
  deliver(): Promise<number>;
  /**
   * One event-source-mapping round for a queue: receive a batch, invoke its consumer (started on
   * first need: a cold start), delete what did not fail. Null when the queue was empty.
   */
  drain(queueName: string, consumer: () => Promise<RunningFunction>): Promise<{ consumer: RunningFunction; invocation: Invocation<SQSBatchResponse> } | null>;
  /** A fresh database behind the stand-in (for cold starts on an empty store). */
  useFreshDatabase(): Promise<void>;
  dispose(): Promise<void>;
}

export interface RunningFunction extends LambdaProcess {
  spec: LambdaSpec;
}

export async function startHarness(template: TemplateJson, outdir: string): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), "na-bundles-"));
  const fauxqs = await startFauxqs({ port: 0, logger: false, host: "localhost" });
  const sqs = new SQSClient({ region: REGION, endpoint: fauxqs.address, credentials: { accessKeyId: "cloudformation", secretAccessKey: "x" } });
  let libsql = await startLibsqlServerStandIn({ file: path.join(dir, "store-0.db") });
  const redis = await startRedisClusterTls();
  const secrets: Record<string, string> = {};
  const aws = await startAwsFake({ sqsEndpoint: fauxqs.address, secrets, embed: hashedEmbedding, region: REGION });
  const deployment = new Deployment(template, outdir, { awsOrigin: aws.url, redis: { host: redis.host, port: redis.port } });

  const libsqlSecret = Object.entries(template.Resources).find(([, r]) => r.Type === "AWS::SecretsManager::Secret" && String(r.Properties?.Name).endsWith("/libsql"));
  if (!libsqlSecret) throw new Error("the template has no libSQL secret");
  const libsqlSecretArn = deployment.secretArn(libsqlSecret[0]);
  const putSecret = () => void (secrets[libsqlSecretArn] = JSON.stringify({ url: libsql.url, authToken: libsql.authToken }));
  putSecret();

  // What CloudFormation would create: DLQs first, then the queues that redrive to them.
  const fauxqsUrls = new Map<string, string>();
  const queues = deployment.queues().sort((a, b) => Number("RedrivePolicy" in a.attributes) - Number("RedrivePolicy" in b.attributes));
  for (const q of queues) {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: q.name, Attributes: q.attributes }));
    fauxqsUrls.set(q.arn, created.QueueUrl ?? "");
    fauxqsUrls.set(q.name, created.QueueUrl ?? "");
  }

  // The environment a container gets: the template's, what Lambda's runtime adds, the stand-ins.
  const environmentOf = (functionName: string): Record<string, string> => {
    const spec = deployment.lambda(functionName);
    return {
      ...spec.environment,
      // What Lambda's runtime adds.
      PATH: "/usr/local/bin:/usr/bin:/bin",
      LANG: "en_US.UTF-8",
      TZ: ":UTC",
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
      AWS_LAMBDA_LOG_FORMAT: "JSON",
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
      LAMBDA_TASK_ROOT: spec.bundleDir,
      // The role's credentials: the fake reads the access key id to know who called.
      AWS_ACCESS_KEY_ID: spec.roleLogicalId,
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_SESSION_TOKEN: "test",
      // Stand-ins, through the SDK's standard endpoint variables and Node's CA variable.
      AWS_ENDPOINT_URL_SQS: aws.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: aws.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: aws.url,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: aws.bedrockUrl,
      AWS_ENDPOINT_URL_CLOUDWATCH: aws.url,
      AWS_ENDPOINT_URL_ELASTICACHE: aws.url,
      NODE_EXTRA_CA_CERTS: redis.caFile,
    };
  };

  const running = new Set<RunningFunction>();
  let delivered = 0;

  return {
    deployment,
    aws,
    get libsql() {
      return libsql;
    },
    redis,
    libsqlSecretArn,

    environment: environmentOf,

    async startFunction(functionName) {
      const spec = deployment.lambda(functionName);
      const env = environmentOf(functionName);
      const fn = Object.assign(await startLambda({ name: spec.functionName, bundleDir: spec.bundleDir, handler: spec.handler, env, timeoutSeconds: spec.timeoutSeconds, memoryMb: spec.memoryMb }), { spec });
      running.add(fn);
      return fn;
    },

    async deliver() {
      const fresh = aws.events.slice(delivered);
      delivered = aws.events.length;
      let sent = 0;
      for (const entry of fresh) {
        const event = toEventBridgeEvent(entry);
        for (const arn of deployment.targetsOf(entry.EventBusName ?? "default", event)) {
          const url = fauxqsUrls.get(arn);
          if (!url) throw new Error(`rule target ${arn} is not a queue of the template`);
          // DelaySeconds 0: the debounce delays are tested elsewhere; here they would only make the test wait.
          await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: JSON.stringify(event), DelaySeconds: 0 }));
          sent++;
        }
      }
      return sent;
    },

    async drain(queueName, startConsumer) {
      const url = fauxqsUrls.get(queueName);
      if (!url) throw new Error(`no queue ${queueName}`);
      const batchSize = 10;
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 0, MessageSystemAttributeNames: ["All"], MessageAttributeNames: ["All"] }));
      const messages = received.Messages ?? [];
      if (messages.length === 0) return null;
      const arn = `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`;
      const event: SQSEvent = {
        Records: messages.map(
          (m): SQSRecord => ({
            messageId: m.MessageId ?? "",
            receiptHandle: m.ReceiptHandle ?? "",
            body: m.Body ?? "",
            attributes: {
              ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? "1",
              SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
              SenderId: m.Attributes?.SenderId ?? "AIDAEVENTBRIDGE",
              ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
            },
            messageAttributes: {},
            md5OfBody: m.MD5OfBody ?? "",
            eventSource: "aws:sqs",
            eventSourceARN: arn,
            awsRegion: REGION,
          }),
        ),
      };
      const consumer = await startConsumer();
      const invocation = await consumer.invoke<SQSBatchResponse>(event);
      // A thrown error fails the whole batch: nothing is deleted, as with Lambda.
      if (invocation.error) return { consumer, invocation };
      const failed = new Set((invocation.result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      const done = messages.filter((m) => !failed.has(m.MessageId ?? ""));
      if (done.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? "" })) }));
      return { consumer, invocation };
    },

    async useFreshDatabase() {
      await libsql.close();
      libsql = await startLibsqlServerStandIn({ file: path.join(dir, `store-${randomUUID()}.db`) });
      putSecret();
    },

    async dispose() {
      await Promise.all([...running].map((f) => f.stop()));
      sqs.destroy();
      await aws.close();
      await libsql.close();
      await redis.dispose();
      await fauxqs.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What EventBridge hands an SQS target: the whole event, detail parsed. */
export function toEventBridgeEvent(entry: PutEventsEntry): EventBridgeEvent {
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": entry.DetailType ?? "",
    source: entry.Source ?? "",
    account: ACCOUNT,
    // The JSON protocol sends timestamps as epoch seconds.
    time: new Date(typeof entry.Time === "number" ? entry.Time * 1000 : (entry.Time ?? Date.now())).toISOString().replace(/\.\d{3}Z$/, "Z"),
    region: REGION,
    resources: [],
    detail: JSON.parse(entry.Detail ?? "{}") as Record<string, unknown>,
  };
}

/**
 * The fake Bedrock's embedding: words hashed into the requested dimensions,
 * L2-normalised. Deterministic and lexical, so a query shares direction with
 * the documents that share its words.
 */
export function hashedEmbedding(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    v[(h >>> 0) % dimensions]! += 1;
  }
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}
