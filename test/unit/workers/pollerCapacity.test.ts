/**
 * With the sentence encoder, a worker's embedding poller runs one receive
 * loop and does not grow with the queue's depth: every embedding of the
 * process waits for the one encoder thread, so extra loops would only hold
 * messages the other workers could take. Real fauxqs queue, real QueuePoller; the handler
 * holds every batch so what the poller holds can be counted.
 */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QueuePoller } from "@shared/adapters/local/poller";
import { ensureQueues } from "@shared/adapters/sqs/queueTopology";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { routeFor, type Route } from "@shared/events/routing";
import type { SqsBatchHandler } from "@shared/ports/consumers";
import { ENCODER_BOUND_LOOPS, localPollerCapacity } from "@local/pollerCapacity";
import { startQueueServer, type QueueServer } from "@local/queue/queueServer";

const route: Route = { ...routeFor("embedding"), delaySeconds: 0, batchWindowSeconds: 0 };
const PIPELINE_DEPTH = 2;

let fauxqs: QueueServer;
let sqs: SQSClient;
beforeAll(async () => {
  fauxqs = await startQueueServer({ port: 0 });
  sqs = createSqsClient({ endpoint: fauxqs.endpoint, region: "us-east-1" });
});
afterAll(async () => {
  sqs?.destroy();
  await fauxqs?.stop();
});

/** Fills a fresh queue with 150 messages, polls it for 4.5 s (two rounds of the scaler) and returns the most messages held at once. */
async function mostHeld(embedder: string, prefix: string): Promise<number> {
  const { queueUrl, queueArn } = (await ensureQueues(sqs, [route], prefix)).get(route.task)!;
  for (let i = 0; i < 150; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 10 }, (_, j) => ({ Id: String(j), MessageBody: `m${i + j}` })) }));
  }
  let held = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const handler: SqsBatchHandler = async (event) => {
    held += event.Records.length;
    most = Math.max(most, held);
    await new Promise<void>((r) => releases.push(r));
    held -= event.Records.length;
    return { batchItemFailures: [] };
  };
  const poller = new QueuePoller({ sqs, route, queueUrl, queueArn, handler, waitTimeSeconds: 1, pipelineDepth: PIPELINE_DEPTH, ...localPollerCapacity(route, embedder) });
  poller.start();
  try {
    await new Promise((r) => setTimeout(r, 4_500));
    return most;
  } finally {
    const release = setInterval(() => releases.splice(0).forEach((r) => r()), 20);
    await poller.stop({ graceMs: 5_000 });
    clearInterval(release);
  }
}

describe("local poller capacity", () => {
  const bound = ENCODER_BOUND_LOOPS * PIPELINE_DEPTH * route.batchSize;

  it("holds at most one loop's batches of embedding messages with the encoder, however deep the queue (the other workers take the rest)", async () => {
    expect(await mostHeld("encoder", `cap${process.pid}a`)).toBe(bound);
  });

  it("grows with the queue for the lexical embedder (the tier's rule)", async () => {
    expect(await mostHeld("lexical", `cap${process.pid}b`)).toBeGreaterThan(2 * bound);
  });
});
