/**
 * Queue figures for `GET /monitoring/queues` and `/metrics` (requirement 11.5):
 * the same GetQueueAttributes calls against AWS SQS and fauxqs. SQS attributes
 * do not include the age of the oldest message; that comes from the runtime
 * (CloudWatch on AWS, the emulator's inspection endpoint locally) or is null.
 */
import { GetQueueAttributesCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { Route } from "../events/routing";
import { errorMessage } from "../errors";
import type { OldestMessageAge, QueueRef, RuntimeView } from "./runtime";

export interface QueueFigures {
  task: string;
  queue: string;
  queueUrl: string;
  dlq: string;
  priority: number;
  delaySeconds: number;
  visible: number | null;
  inFlight: number | null;
  delayed: number | null;
  /** Everything in the DLQ, including messages someone is looking at right now. */
  dlqDepth: number | null;
  oldestMessageAgeSeconds: number | null;
  oldestMessageAgeSource: string;
  error?: string;
}

const COUNT_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"] as const;

interface Counts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<Counts> {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...COUNT_ATTRIBUTES] }));
  const a = res.Attributes ?? {};
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export function queueNameOf(url: string): string {
  return url.slice(url.lastIndexOf("/") + 1);
}

/** `ages: false`: skip the oldest-message ages (on fauxqs each is the queue's whole message list, read over HTTP and parsed). */
export async function readQueueFigures(runtime: RuntimeView, routes: readonly Route[], options: { ages?: boolean } = {}): Promise<QueueFigures[]> {
  const topology = await runtime.topology();
  const refs: QueueRef[] = [];
  for (const r of routes) {
    const q = topology.get(r.task);
    if (q) refs.push({ task: r.task, url: q.queueUrl, name: queueNameOf(q.queueUrl) });
  }
  const ages: Map<string, OldestMessageAge> = runtime.oldestMessageAges && options.ages !== false
    ? await runtime.oldestMessageAges(refs).catch(() => new Map<string, OldestMessageAge>())
    : new Map<string, OldestMessageAge>();

  return Promise.all(
    routes.flatMap((route) => {
      const q = topology.get(route.task);
      if (!q) return [];
      return [
        (async (): Promise<QueueFigures> => {
          const age = ages.get(q.queueUrl) ?? { seconds: null, source: "unavailable" };
          const base = {
            task: route.task,
            queue: queueNameOf(q.queueUrl),
            queueUrl: q.queueUrl,
            dlq: queueNameOf(q.dlqUrl),
            priority: route.priority,
            delaySeconds: route.delaySeconds,
            oldestMessageAgeSeconds: age.seconds,
            oldestMessageAgeSource: age.source,
          };
          try {
            const [main, dlq] = await Promise.all([queueCounts(runtime.sqs, q.queueUrl), queueCounts(runtime.sqs, q.dlqUrl)]);
            return { ...base, ...main, dlqDepth: dlq.visible + dlq.inFlight + dlq.delayed };
          } catch (e) {
            return { ...base, visible: null, inFlight: null, delayed: null, dlqDepth: null, error: errorMessage(e) };
          }
        })(),
      ];
    }),
  );
}

/**
 * fauxqs answers `GET /_fauxqs/queues/<name>` with every message and its
 * `sentTimestamp`, without receiving it: the honest local counterpart of
 * CloudWatch's ApproximateAgeOfOldestMessage (visible and in-flight messages;
 * delayed ones are not yet in the queue's age on AWS either).
 */
export async function fauxqsOldestAges(endpoint: string, queues: readonly QueueRef[], now = Date.now()): Promise<Map<string, OldestMessageAge>> {
  const out = new Map<string, OldestMessageAge>();
  await Promise.all(
    queues.map(async (q) => {
      try {
        const res = await fetch(`${endpoint.replace(/\/$/, "")}/_fauxqs/queues/${encodeURIComponent(q.name)}`, { signal: AbortSignal.timeout(1_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { messages?: { ready?: Array<{ sentTimestamp?: number }>; inflight?: Array<{ message?: { sentTimestamp?: number } }> } };
        const sent = [
          ...(body.messages?.ready ?? []).map((m) => m.sentTimestamp),
          ...(body.messages?.inflight ?? []).map((m) => m.message?.sentTimestamp),
        ].filter((t): t is number => typeof t === "number");
        const oldest = sent.length > 0 ? Math.min(...sent) : undefined;
        out.set(q.url, { seconds: oldest === undefined ? 0 : Math.max(0, Math.round((now - oldest) / 1000)), source: "fauxqs-inspection" });
      } catch {
        // Not fauxqs (e.g. LocalStack) or not reachable: say so rather than guess.
        out.set(q.url, { seconds: null, source: "unavailable" });
      }
    }),
  );
  return out;
}
