/**
 * The local bus: what EventBridge rules do on AWS, done in process. It applies
 * the routing table (event names and content conditions) and sends each event,
 * in EventBridge's envelope, to the queue of every route it matches.
 */
import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { DomainEvent } from "../../events/catalogue";
import { routesForEvent, type Route } from "../../events/routing";
import type { EventBus, PublishResult } from "../../ports/bus";
import { toEnvelope } from "../../outbox/envelope";
import type { Topology } from "../sqs/queueTopology";

export class LocalBus implements EventBus {
  sent = 0;

  constructor(
    private readonly sqs: SQSClient,
    private readonly table: readonly Route[],
    private readonly topology: Topology,
    /** Longest wait for one send; past it the events stay in the outbox for the sweeper. */
    private readonly publishTimeoutMs = 5_000,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<PublishResult> {
    const perQueue = new Map<string, Array<{ event: DomainEvent; body: string }>>();
    for (const event of events) {
      const body = JSON.stringify(toEnvelope(event));
      for (const route of routesForEvent(event.name, event.payload, this.table)) {
        const url = this.topology.get(route.task)?.queueUrl;
        if (!url) continue;
        const list = perQueue.get(url) ?? [];
        list.push({ event, body });
        perQueue.set(url, list);
      }
    }
    const failed = new Set<string>();
    // SendMessageBatch takes 10 entries: a queue's chunks are sent together, not one after another.
    const chunks = [...perQueue].flatMap(([url, items]) =>
      Array.from({ length: Math.ceil(items.length / 10) }, (_, k) => ({ url, chunk: items.slice(k * 10, k * 10 + 10) })),
    );
    await Promise.all(
      chunks.map(async ({ url, chunk }) => {
        try {
          const res = await this.sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: url,
              Entries: chunk.map((c, j) => ({ Id: String(j), MessageBody: c.body })),
            }),
            // The client's requestTimeout only warns; without this a hung queue hangs the write that publishes.
            { abortSignal: AbortSignal.timeout(this.publishTimeoutMs) },
          );
          for (const f of res.Failed ?? []) {
            const item = chunk[Number(f.Id)];
            if (item) failed.add(item.event.meta.eventId);
          }
          this.sent += chunk.length - (res.Failed?.length ?? 0);
        } catch {
          for (const c of chunk) failed.add(c.event.meta.eventId);
        }
      }),
    );
    return { failedEventIds: [...failed] };
  }
}
