/**
 * Dead letters (requirement 14, docs/architecture.md, "Dead-letter replay"): list what is in the DLQs and
 * send it back to its route's queue. Only plain SQS calls, so the same code
 * runs against AWS and fauxqs (which has no StartMessageMoveTask).
 *
 * Listing is a peek: SQS cannot show a message without receiving it, so each
 * message is received with a short visibility timeout and made visible again
 * right away (ChangeMessageVisibility 0). A message being peeked is invisible
 * for that moment; replay waits for such messages when it looks for one id.
 *
 * Replay receives from the DLQ, sends the same body to the route's queue, and
 * only then deletes it from the DLQ: a crash in between duplicates a trigger
 * (harmless: tasks are idempotent by revision) and never loses one.
 *
 * @example
 * const { items } = await listDeadLetters(app, { task: "ingestion" });
 * const { replayed } = await replayDeadLetters(app, { messageId: items[0]!.messageId });
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { TaskName } from "../events/routing";
import { HttpError, errorMessage } from "../errors";
import { logger } from "../observability/logger";
import { queueCounts, queueNameOf } from "../observability/queueFigures";
import type { RuntimeView } from "../observability/runtime";
import type { AppContext } from "./context";

export interface DeadLetter {
  /** The id of the message in the DLQ (what replay by id takes). */
  messageId: string;
  task: string;
  dlq: string;
  error: string | null;
  /** Deliveries of the original message before it was given up. */
  attempts: number | null;
  failedAt: string | null;
  sourceQueueUrl: string | null;
  /** What the message was about, read from its event envelope. */
  event: string | null;
  resourceId: string | null;
  correlationId: string | null;
  sentAt: string | null;
  bodyPreview: string;
}

export interface ReplayResult {
  replayed: number;
  byTask: Record<string, number>;
  /** DLQs that could not be read or written, with the reason. */
  errors: Array<{ task: string; error: string }>;
}

/** How long a peeked message stays hidden if the release call never happens (process killed). */
const PEEK_VISIBILITY_SECONDS = 10;
/** How long a message being replayed stays hidden: covers the send and the delete. */
const REPLAY_VISIBILITY_SECONDS = 60;

function runtimeOf(app: AppContext): RuntimeView {
  if (!app.runtime) throw new HttpError(503, "dead letters need the queue runtime, which this process does not have");
  return app.runtime;
}

async function dlqsFor(app: AppContext, task: string | undefined): Promise<Array<{ task: TaskName; dlqUrl: string; queueUrl: string }>> {
  const topology = await runtimeOf(app).topology();
  const out: Array<{ task: TaskName; dlqUrl: string; queueUrl: string }> = [];
  for (const route of app.routes) {
    if (task && route.task !== task) continue;
    const q = topology.get(route.task);
    if (q) out.push({ task: route.task, dlqUrl: q.dlqUrl, queueUrl: q.queueUrl });
  }
  if (task && out.length === 0) throw new HttpError(404, `no queue for task ${task}`);
  return out;
}

function receive(sqs: SQSClient, queueUrl: string, max: number, visibility: number, wait: number) {
  return sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      VisibilityTimeout: visibility,
      WaitTimeSeconds: wait,
      MessageAttributeNames: ["All"],
      MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
    }),
  );
}

/** Makes received messages visible again at once. */
async function release(sqs: SQSClient, queueUrl: string, handles: readonly string[]): Promise<void> {
  for (let i = 0; i < handles.length; i += 10) {
    const chunk = handles.slice(i, i + 10);
    await sqs
      .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: chunk.map((h, j) => ({ Id: String(j), ReceiptHandle: h, VisibilityTimeout: 0 })) }))
      .catch((e: unknown) => logger.warn("could not release peeked dead letters; they reappear after their visibility timeout", { error: errorMessage(e) }));
  }
}

function attribute(m: Message, name: string): string | null {
  return m.MessageAttributes?.[name]?.StringValue ?? null;
}

export function describeDeadLetter(m: Message, task: string, dlqUrl: string): DeadLetter {
  const body = m.Body ?? "";
  let event: string | null = null;
  let resourceId: string | null = null;
  let correlationId: string | null = null;
  try {
    const envelope = JSON.parse(body) as { "detail-type"?: unknown; detail?: { resourceId?: unknown; userId?: unknown; meta?: { correlationId?: unknown } } };
    event = typeof envelope["detail-type"] === "string" ? envelope["detail-type"] : null;
    const subject = envelope.detail?.resourceId ?? envelope.detail?.userId;
    resourceId = typeof subject === "string" ? subject : null;
    correlationId = typeof envelope.detail?.meta?.correlationId === "string" ? envelope.detail.meta.correlationId : null;
  } catch {
    // Not an event envelope (that is often why it is here): the preview shows what it is.
  }
  const attempts = attribute(m, "attempts");
  const sent = m.Attributes?.SentTimestamp;
  return {
    messageId: m.MessageId ?? "",
    task: attribute(m, "task") ?? task,
    dlq: queueNameOf(dlqUrl),
    error: attribute(m, "error"),
    attempts: attempts === null ? null : Number(attempts),
    failedAt: attribute(m, "failedAt"),
    sourceQueueUrl: attribute(m, "sourceQueueUrl"),
    event,
    resourceId,
    correlationId,
    sentAt: sent ? new Date(Number(sent)).toISOString() : null,
    bodyPreview: body.length > 300 ? `${body.slice(0, 300)}…` : body,
  };
}

/** Receives up to `max` messages of a DLQ and releases them again. */
async function peek(sqs: SQSClient, dlqUrl: string, max: number): Promise<Message[]> {
  const { visible } = await queueCounts(sqs, dlqUrl);
  if (visible === 0) return [];
  const seen = new Map<string, Message>();
  const handles: string[] = [];
  try {
    while (seen.size < max) {
      // Long polling asks every SQS host, so a short queue is not reported empty by sampling.
      const res = await receive(sqs, dlqUrl, max - seen.size, PEEK_VISIBILITY_SECONDS, 1);
      const got = res.Messages ?? [];
      if (got.length === 0) break;
      for (const m of got) {
        if (m.ReceiptHandle) handles.push(m.ReceiptHandle);
        if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, m);
      }
      if (seen.size >= visible) break;
    }
  } finally {
    await release(sqs, dlqUrl, handles);
  }
  return [...seen.values()];
}

export async function listDeadLetters(
  app: AppContext,
  options: { task?: string; limit?: number } = {},
): Promise<{ items: DeadLetter[]; total: number; errors: Array<{ task: string; error: string }> }> {
  const runtime = runtimeOf(app);
  const limit = Math.min(Math.max(1, options.limit ?? 100), 1000);
  const dlqs = await dlqsFor(app, options.task);
  const errors: Array<{ task: string; error: string }> = [];
  const perQueue = await Promise.all(
    dlqs.map(async (q) => {
      try {
        const [messages, counts] = await Promise.all([peek(runtime.sqs, q.dlqUrl, limit), queueCounts(runtime.sqs, q.dlqUrl)]);
        return { items: messages.map((m) => describeDeadLetter(m, q.task, q.dlqUrl)), depth: counts.visible + counts.inFlight };
      } catch (e) {
        // One unreadable DLQ (permissions, throttling) must not hide the others.
        errors.push({ task: q.task, error: errorMessage(e) });
        return { items: [], depth: 0 };
      }
    }),
  );
  const items = perQueue
    .flatMap((p) => p.items)
    .sort((a, b) => (b.failedAt ?? b.sentAt ?? "").localeCompare(a.failedAt ?? a.sentAt ?? ""))
    .slice(0, limit);
  return { items, total: perQueue.reduce((n, p) => n + p.depth, 0), errors };
}

interface ReplayOptions {
  task?: string;
  messageId?: string;
  /** Most messages moved in one call (an API call must answer within its timeout). */
  max?: number;
  /** Time budget of one call. */
  deadlineMs?: number;
}

async function replayQueue(
  sqs: SQSClient,
  q: { task: TaskName; dlqUrl: string; queueUrl: string },
  options: Required<Pick<ReplayOptions, "max">> & { messageId?: string; deadline: number },
): Promise<number> {
  const before = await queueCounts(sqs, q.dlqUrl);
  const present = before.visible + before.inFlight;
  if (present === 0) return 0;
  // Replay what is there now, not what comes back: a message that fails again at once would otherwise loop.
  const startedAt = Date.now();
  const cap = Math.min(options.max, present);
  let replayed = 0;
  const seen = new Set<string>();
  const held: string[] = [];
  try {
    while (Date.now() < options.deadline && replayed < cap) {
      const res = await receive(sqs, q.dlqUrl, 10, REPLAY_VISIBILITY_SECONDS, 1);
      const got = res.Messages ?? [];
      if (got.length === 0) {
        // Looking for one message that someone is peeking at right now: it comes back within seconds.
        if (options.messageId && (await queueCounts(sqs, q.dlqUrl)).inFlight > held.length) {
          await new Promise((r) => setTimeout(r, 300));
          continue;
        }
        break;
      }
      for (const m of got) {
        const id = m.MessageId ?? "";
        // Not one to replay now (not the one asked for, or arrived after the replay began, or over the
        // cap): keep it hidden until the scan ends, so it is not received again and again, then release it.
        const arrivedSince = Number(m.Attributes?.SentTimestamp ?? 0) >= startedAt;
        if (seen.has(id) || arrivedSince || replayed >= cap || (options.messageId && (id !== options.messageId || replayed > 0))) {
          if (m.ReceiptHandle) held.push(m.ReceiptHandle);
          seen.add(id);
          continue;
        }
        seen.add(id);
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: q.queueUrl,
            MessageBody: m.Body ?? "",
            MessageAttributes: {
              replayOf: { DataType: "String", StringValue: id || "unknown" },
              replayedAt: { DataType: "String", StringValue: new Date().toISOString() },
            },
          }),
        );
        await sqs.send(new DeleteMessageCommand({ QueueUrl: q.dlqUrl, ReceiptHandle: m.ReceiptHandle ?? "" }));
        replayed++;
        logger.info("dead letter replayed", { task: q.task, messageId: id, to: queueNameOf(q.queueUrl) });
      }
      if (options.messageId && replayed > 0) break;
    }
  } finally {
    await release(sqs, q.dlqUrl, held);
  }
  return replayed;
}

/** Sends dead letters back to their route's queue: all, one task's, or one message. */
export async function replayDeadLetters(app: AppContext, options: ReplayOptions = {}): Promise<ReplayResult> {
  const runtime = runtimeOf(app);
  const dlqs = await dlqsFor(app, options.task);
  const deadline = Date.now() + (options.deadlineMs ?? 15_000);
  const max = options.max ?? 500;
  const result: ReplayResult = { replayed: 0, byTask: {}, errors: [] };
  for (const q of dlqs) {
    if (result.replayed >= max || Date.now() >= deadline) break;
    if (options.messageId && result.replayed > 0) break;
    try {
      const n = await replayQueue(runtime.sqs, q, { max: max - result.replayed, deadline, ...(options.messageId ? { messageId: options.messageId } : {}) });
      if (n > 0) result.byTask[q.task] = n;
      result.replayed += n;
    } catch (e) {
      result.errors.push({ task: q.task, error: errorMessage(e) });
    }
  }
  return result;
}
