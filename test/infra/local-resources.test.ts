/**
 * The emulator resources come from the same routing table as the CDK stack:
 * the committed fauxqs init file matches it, local rules match the CDK event
 * patterns, and the creation script really creates the queues in fauxqs.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from "@aws-sdk/client-sqs";
import { startFauxqs } from "fauxqs";
import { describe, expect, it } from "vitest";
import { eventPatternFor } from "@infra/lib/event-pattern";
import { EMULATOR_ACCOUNT_ID, EMULATOR_REGION, fauxqsInit, queueDefinitions, ruleDefinitions } from "@localstack/resources";
import { deadLetterQueueAttributes, redrivePolicy, taskQueueAttributes } from "@shared/adapters/sqs/queueAttributes";
import { dlqName, queueName, routes, visibilityTimeoutSeconds } from "@shared/events/routing";

describe("local emulator resources", () => {
  it("keeps local/localstack/fauxqs-init.json in step with the routing table", () => {
    const committed: unknown = JSON.parse(readFileSync(new URL("../../local/localstack/fauxqs-init.json", import.meta.url), "utf8"));
    // If this fails: npx tsx local/localstack/write-fauxqs-init.ts
    expect(committed).toEqual(fauxqsInit());
  });

  it("gives every local rule the same pattern as the CDK rule of its route", () => {
    const local = ruleDefinitions();
    expect(local).toHaveLength(routes.length);
    for (const route of routes) {
      const cdk = eventPatternFor(route);
      const rule = local.find((r) => r.targetQueue === queueName(route.task));
      expect(rule?.pattern).toEqual({ source: cdk.source, "detail-type": cdk.detailType, ...(cdk.detail ? { detail: cdk.detail } : {}) });
    }
  });

  it("builds every local queue definition with the one queue-attribute builder", () => {
    const defs = queueDefinitions();
    for (const route of routes) {
      const queue = defs.find((d) => d.name === queueName(route.task));
      const dlqArn = `arn:aws:sqs:${EMULATOR_REGION}:${EMULATOR_ACCOUNT_ID}:${dlqName(route.task)}`;
      expect(queue?.attributes).toEqual(taskQueueAttributes(route, dlqArn));
      expect(defs.find((d) => d.name === dlqName(route.task))?.attributes).toEqual(deadLetterQueueAttributes());
    }
  });

  it("creates every queue with its delay, visibility and redrive in fauxqs", async () => {
    const server = await startFauxqs({ port: 0, logger: false });
    try {
      const endpoint = server.address;
      await promisify(execFile)("npx", ["tsx", "local/localstack/create-resources.ts", "--queues-only"], {
        env: { ...process.env, AWS_ENDPOINT_URL: endpoint },
        timeout: 60_000,
      });
      const sqs = new SQSClient({ endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
      for (const route of routes) {
        const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName(route.task) }));
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
        expect(Attributes?.DelaySeconds).toBe(String(route.delaySeconds));
        expect(Attributes?.VisibilityTimeout).toBe(String(visibilityTimeoutSeconds(route)));
        // maxReceiveCount a number, as SQS documents it and CDK writes it (it used to be sent as a string).
        expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual(redrivePolicy(route, expect.stringMatching(new RegExp(`:${dlqName(route.task)}$`)) as unknown as string));
      }
    } finally {
      await server.stop();
    }
  }, 90_000);
});
