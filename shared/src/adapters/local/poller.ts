/**
 * What Lambda's SQS event source mapping does, for the local runtime: long-poll
 * a queue, gather up to `batchSize` messages within the batching window, invoke
 * the handler, delete what succeeded (partial batch responses), leave failures
 * to their visibility timeout. Concurrency follows the route's priority tier
 * and grows with queue depth (requirement 15.4); `stop()` lets in-flight
 * batches finish (requirement 15.5), and with a grace period releases what is
 * still held when it runs out (visibility 0), so another consumer takes it at
 * once instead of after the visibility timeout. Each receive loop may hold
 * up to `pipelineDepth` batches in its handler (it receives the next while
 * the last waits for its ledger commit); a batch is deleted only after its
 * handler returned.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { capacityFor } from "../../events/priority";
import type { Route } from "../../events/routing";
import { visibilityTimeoutSeconds } from "../../events/routing";
import type { ConsumerStats, SqsBatchHandler } from "../../ports/consumers";
import { logger } from "../../observability/logger";
import { errorMessage } from "../../errors";

/** The local poller reports the consumer figures every consumer does. */
export type PollerStats = ConsumerStats;

export interface PollerOptions {
  sqs: SQSClient;
  route: Route;
  queueUrl: string;
  queueArn: string;
  handler: SqsBatchHandler;
  /** Long-poll wait; short enough that stop() is prompt. */
  waitTimeSeconds?: number;
  /** Fixed concurrency instead of the tier's (tests). */
  concurrency?: number;
  maxConcurrency?: number;
  /** Batches one receive loop may have in its handler at once (default 2): it receives the next while the last commits. */
  pipelineDepth?: number;
  region?: string;
}

const DEFAULT_PIPELINE_DEPTH = 2;

export class QueuePoller {
  readonly #opts: PollerOptions;
  #running = false;
  #loops = new Set<Promise<void>>();
  #scaler: NodeJS.Timeout | undefined;
  /** Received and not yet handled (deleted, backed off or dead-lettered): receipt handle by message id. */
  readonly #held = new Map<string, string>();
  readonly stats: PollerStats;

  constructor(opts: PollerOptions) {
    this.#opts = opts;
    const tier = capacityFor(opts.route.priority);
    this.stats = {
      queue: opts.queueUrl,
      task: opts.route.task,
      alive: false,
      concurrency: opts.concurrency ?? tier.localConcurrency,
      activeBatches: 0,
      activeMessages: 0,
      processed: 0,
      failed: 0,
      batches: 0,
      lastHeartbeat: null,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.stats.alive = true;
    for (let i = 0; i < this.stats.concurrency; i++) this.#spawnLoop();
    if (this.#opts.concurrency === undefined) {
      this.#scaler = setInterval(() => void this.#scale(), 2_000);
      this.#scaler.unref();
    }
  }

  /**
   * Stops receiving and waits for in-flight batches to finish; after `graceMs`
   * (default: no limit) it stops waiting. Either way, messages still held
   * (a batch cut short, or one gathered but never handed over) are released.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#scaler) clearInterval(this.#scaler);
    // Receives are not aborted: the emulator would still hand a message to an abandoned
    // receive, invisible to everyone for its visibility timeout. Each waits a second or two.
    const loops = Promise.allSettled([...this.#loops]);
    if (options.graceMs === undefined) await loops;
    else {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([loops, new Promise<void>((r) => (timer = setTimeout(r, options.graceMs)))]);
      clearTimeout(timer);
    }
    await this.releaseHeld();
    this.stats.alive = false;
  }

  /** Makes every message this poller holds visible again at once. */
  async releaseHeld(): Promise<number> {
    const held = [...this.#held.entries()];
    this.#held.clear();
    let released = 0;
    for (let i = 0; i < held.length; i += 10) {
      const chunk = held.slice(i, i + 10);
      try {
        const res = await this.#opts.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#opts.queueUrl,
            Entries: chunk.map(([, receiptHandle], j) => ({ Id: String(j), ReceiptHandle: receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
        released += res.Successful?.length ?? 0;
        if (res.Failed?.length) throw new Error(res.Failed.map((f) => `${f.Code}: ${f.Message}`).join("; "));
      } catch (e) {
        logger.warn("could not release messages; they return after their visibility timeout", { task: this.#opts.route.task, error: errorMessage(e) });
      }
    }
    if (held.length > 0) logger.info("released messages still held", { task: this.#opts.route.task, held: held.length, released });
    return released;
  }

  #spawnLoop(): void {
    const loop = this.#loop().finally(() => this.#loops.delete(loop));
    this.#loops.add(loop);
  }

  /** Adds receive loops while the queue is deep, up to the tier's maximum. */
  async #scale(): Promise<void> {
    if (!this.#running) return;
    const max = this.#opts.maxConcurrency ?? capacityFor(this.#opts.route.priority).localMaxConcurrency;
    try {
      const res = await this.#opts.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: this.#opts.queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
      );
      const depth = Number(res.Attributes?.ApproximateNumberOfMessages ?? 0);
      const wanted = Math.min(max, Math.max(this.stats.concurrency, Math.ceil(depth / Math.max(1, this.#opts.route.batchSize))));
      while (this.#running && this.stats.concurrency < wanted) {
        this.stats.concurrency++;
        this.#spawnLoop();
      }
    } catch {
      // Depth unknown this round; keep the current concurrency.
    }
  }

  async #loop(): Promise<void> {
    // Alive from the start, not only after the first (long) poll returns.
    this.stats.lastHeartbeat = new Date().toISOString();
    // Batches of this loop being handled: while one waits for its ledger rows' (group) commit, the
    // loop receives the next. Each batch is still deleted only after its handler returned.
    const depth = Math.max(1, this.#opts.pipelineDepth ?? DEFAULT_PIPELINE_DEPTH);
    const inFlight = new Set<Promise<void>>();
    try {
      while (this.#running) {
        while (inFlight.size >= depth) await Promise.race(inFlight);
        if (!this.#running) break;
        const messages = await this.#receive();
        if (messages === undefined) continue;
        const batch: Promise<void> = this.#invoke(messages)
          .catch((e: unknown) => logger.error("poller batch failed", { task: this.#opts.route.task, error: errorMessage(e) }))
          .finally(() => inFlight.delete(batch));
        inFlight.add(batch);
      }
    } finally {
      await Promise.allSettled([...inFlight]);
    }
  }

  /** The next batch to hand over, or undefined (nothing came, stopping, or a failed receive waited out). */
  async #receive(): Promise<Message[] | undefined> {
    let messages: Message[] = [];
    try {
      messages = await this.#gather();
    } catch (e) {
      if (!this.#running) return undefined;
      logger.warn("poller receive failed; retrying", { task: this.#opts.route.task, error: errorMessage(e) });
      await sleep(1_000);
      return undefined;
    }
    this.stats.lastHeartbeat = new Date().toISOString();
    // Received while stopping: not started, so stop() releases them for another consumer.
    if (messages.length === 0 || !this.#running) return undefined;
    return messages;
  }

  /** Receives up to batchSize messages, waiting at most the batching window once one has arrived. */
  async #gather(): Promise<Message[]> {
    const { route, sqs, queueUrl } = this.#opts;
    const out: Message[] = [];
    const windowMs = route.batchWindowSeconds * 1000;
    let deadline = Number.POSITIVE_INFINITY;
    while (this.#running && out.length < route.batchSize) {
      const remaining = deadline - Date.now();
      if (out.length > 0 && (windowMs === 0 || remaining <= 0)) break;
      // Short waits even inside a batching window, so that stop() never waits long for a receive.
      const longest = this.#opts.waitTimeSeconds ?? 2;
      const wait = out.length === 0 ? longest : Math.min(longest, Math.max(1, Math.ceil(remaining / 1000)));
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, route.batchSize - out.length),
          WaitTimeSeconds: wait,
          VisibilityTimeout: visibilityTimeoutSeconds(route),
          MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp"],
          MessageAttributeNames: ["All"],
        }),
      );
      const got = res.Messages ?? [];
      for (const m of got) if (m.MessageId && m.ReceiptHandle) this.#held.set(m.MessageId, m.ReceiptHandle);
      if (got.length === 0 && out.length === 0) return out;
      if (out.length === 0 && got.length > 0) deadline = Date.now() + windowMs;
      out.push(...got);
      if (windowMs === 0) break;
    }
    return out;
  }

  async #invoke(messages: Message[]): Promise<void> {
    const { route, sqs, queueUrl } = this.#opts;
    this.stats.activeBatches++;
    this.stats.activeMessages += messages.length;
    this.stats.batches++;
    try {
      const event: SQSEvent = { Records: messages.map((m) => this.#toRecord(m)) };
      let failedIds = new Set<string>();
      try {
        const res = await this.#opts.handler(event);
        failedIds = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
      } catch (e) {
        // A handler crash fails the whole batch, exactly as on Lambda.
        logger.error("task handler threw; the batch will be retried", { task: route.task, error: errorMessage(e) });
        failedIds = new Set(messages.map((m) => m.MessageId ?? ""));
      }
      // Handled: each message is now deleted below, backed off or dead-lettered by the consumer.
      for (const m of messages) this.#held.delete(m.MessageId ?? "");
      const done = messages.filter((m) => !failedIds.has(m.MessageId ?? ""));
      this.stats.processed += done.length;
      this.stats.failed += messages.length - done.length;
      for (let i = 0; i < done.length; i += 10) {
        const chunk = done.slice(i, i + 10);
        await sqs
          .send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle ?? "" })) }))
          .catch((e: unknown) => logger.warn("delete failed; the message will be redelivered and skipped as done", { error: errorMessage(e) }));
      }
    } finally {
      this.stats.activeBatches--;
      this.stats.activeMessages -= messages.length;
    }
  }

  #toRecord(m: Message): SQSRecord {
    const attrs = m.Attributes ?? {};
    return {
      messageId: m.MessageId ?? "",
      receiptHandle: m.ReceiptHandle ?? "",
      body: m.Body ?? "",
      attributes: {
        ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
        SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
        SenderId: "local",
        ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody ?? "",
      eventSource: "aws:sqs",
      eventSourceARN: this.#opts.queueArn,
      awsRegion: this.#opts.region ?? "us-east-1",
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
