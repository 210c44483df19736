/**
 * Every route of the routing table must exist as infrastructure: a rule with
 * the route's pattern targeting the route's queue, the queue with the route's
 * delay, visibility and retry budget, its DLQ, and a consumer mapping with the
 * route's batching, partial failures and priority tier. The cases are generated
 * from the table, so a route added without its infrastructure fails here.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "@infra/lib/config";
import { EVENT_SOURCE } from "@shared/events/catalogue";
import { capacityFor } from "@shared/events/priority";
import { dlqName, queueName, routes } from "@shared/events/routing";
import { deadLetterQueueAttributes, taskQueueSettings } from "@shared/adapters/sqs/queueAttributes";
import { onlyLogicalId, resourcesOfType, type SynthContext } from "./synth";

/** Declares the checks; `ctx.synth` is filled by the beforeAll of stack.test.ts. */
export function describeRoutes(ctx: SynthContext): void {
  const prefix = DEFAULT_CONFIG.prefix;

  describe.each(routes.map((r) => [r.task, r] as const))("route %s", (task, route) => {
    const queueId = () => onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: queueName(task, prefix) });
    const dlqId = () => onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: dlqName(task, prefix) });
    const consumerId = () =>
      onlyLogicalId(ctx.synth.template, "AWS::Lambda::Function", {
        Environment: { Variables: Match.objectLike({ TASK_NAME: task }) },
      });

    it("has a queue with the route's delay, visibility timeout, encryption and redrive to its DLQ", () => {
      const queue = resourcesOfType(ctx.synth.template, "AWS::SQS::Queue")[queueId()];
      // The same builder fauxqs and LocalStack setup use (shared/src/adapters/sqs/queueAttributes.ts).
      const settings = taskQueueSettings(route);
      expect(queue?.Properties).toMatchObject({
        DelaySeconds: settings.delaySeconds,
        VisibilityTimeout: settings.visibilityTimeoutSeconds,
        MessageRetentionPeriod: settings.retentionSeconds,
        SqsManagedSseEnabled: true,
        RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlqId(), "Arn"] }, maxReceiveCount: settings.maxReceiveCount },
      });
      expect(typeof (queue?.Properties?.RedrivePolicy as { maxReceiveCount: unknown }).maxReceiveCount).toBe("number");
    });

    it("keeps its dead letters for 14 days", () => {
      const dlq = resourcesOfType(ctx.synth.template, "AWS::SQS::Queue")[dlqId()];
      expect(dlq?.Properties?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      expect(String(dlq?.Properties?.MessageRetentionPeriod)).toBe(deadLetterQueueAttributes().MessageRetentionPeriod);
    });

    it("denies non-TLS access to its queue and DLQ", () => {
      for (const id of [queueId(), dlqId()]) {
        ctx.synth.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            ]),
          },
        });
      }
    });

    it("has exactly one rule, matching the route's events (and condition), targeting its queue with a retry policy and DLQ", () => {
      const expectedPattern = {
        source: [EVENT_SOURCE],
        "detail-type": [...route.events],
        detail: route.condition ? { [route.condition.field]: [route.condition.equals] } : Match.absent(),
      };
      const rules = ctx.synth.template.findResources("AWS::Events::Rule", {
        Properties: { Targets: Match.arrayWith([Match.objectLike({ Arn: { "Fn::GetAtt": [queueId(), "Arn"] } })]) },
      });
      const ruleIds = Object.keys(rules);
      expect(ruleIds).toHaveLength(1);
      ctx.synth.template.hasResourceProperties("AWS::Events::Rule", {
        Name: `${prefix}-${task}`,
        EventBusName: { Ref: Match.stringLikeRegexp("Bus") },
        EventPattern: expectedPattern,
        Targets: [
          Match.objectLike({
            Arn: { "Fn::GetAtt": [queueId(), "Arn"] },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("DeliveryDlq"), "Arn"] } },
            RetryPolicy: { MaximumRetryAttempts: Match.anyValue(), MaximumEventAgeInSeconds: Match.anyValue() },
          }),
        ],
      });
    });

    it("feeds its consumer through one event source mapping with the route's batching and priority tier", () => {
      const mappings = ctx.synth.template.findResources("AWS::Lambda::EventSourceMapping", {
        Properties: { EventSourceArn: { "Fn::GetAtt": [queueId(), "Arn"] } },
      });
      const entries = Object.values(mappings);
      expect(entries).toHaveLength(1);
      expect(entries[0]?.Properties).toMatchObject({
        FunctionName: { Ref: consumerId() },
        BatchSize: route.batchSize,
        MaximumBatchingWindowInSeconds: route.batchWindowSeconds,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: capacityFor(route.priority).lambdaMaxConcurrency },
      });
    });

    it("runs a consumer on Node 24 / arm64 with the route's memory and timeout, told its task and queues", () => {
      const fn = resourcesOfType(ctx.synth.template, "AWS::Lambda::Function")[consumerId()];
      expect(fn?.Properties).toMatchObject({
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        MemorySize: route.memoryMb,
        Timeout: route.timeoutSeconds,
        Environment: { Variables: { TASK_NAME: task, QUEUE_URL: { Ref: queueId() }, DLQ_URL: { Ref: dlqId() } } },
      });
      // AWS: the queue's visibility timeout must cover six function timeouts plus the batch window.
      const queue = resourcesOfType(ctx.synth.template, "AWS::SQS::Queue")[queueId()];
      expect(queue?.Properties?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * route.timeoutSeconds + route.batchWindowSeconds);
    });
  });

  describe("the table and the template agree in size", () => {
    it("has one rule and one event source mapping per route, and nothing extra", () => {
      expect(Object.keys(resourcesOfType(ctx.synth.template, "AWS::Events::Rule"))).toHaveLength(routes.length);
      expect(Object.keys(resourcesOfType(ctx.synth.template, "AWS::Lambda::EventSourceMapping"))).toHaveLength(routes.length);
    });

    it("has a queue and a DLQ per route, plus the bus-delivery and scheduler DLQs", () => {
      const names = Object.values(resourcesOfType(ctx.synth.template, "AWS::SQS::Queue")).map((q) => q.Properties?.QueueName);
      const expected = [
        ...routes.flatMap((r) => [queueName(r.task, prefix), dlqName(r.task, prefix)]),
        `${prefix}-bus-delivery-dlq`,
        `${prefix}-scheduler-dlq`,
      ];
      expect([...names].sort()).toEqual([...expected].sort());
    });
  });
}
