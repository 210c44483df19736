/**
 * The bus on AWS: EventBridge PutEvents, at most 10 entries per call; entries
 * EventBridge reports as failed are retried a few times, then returned so the
 * outbox keeps them for the sweeper.
 */
import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { EVENT_SOURCE, type DomainEvent } from "../../events/catalogue";
import type { EventBus, PublishResult } from "../../ports/bus";

export const PUT_EVENTS_MAX_ENTRIES = 10;

export class EventBridgeBus implements EventBus {
  constructor(
    private readonly client: Pick<EventBridgeClient, "send">,
    private readonly busName: string,
    private readonly retries = 2,
  ) {}

  async publish(events: readonly DomainEvent[]): Promise<PublishResult> {
    const failed: string[] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_MAX_ENTRIES) {
      failed.push(...(await this.#putChunk(events.slice(i, i + PUT_EVENTS_MAX_ENTRIES))));
    }
    return { failedEventIds: failed };
  }

  async #putChunk(chunk: readonly DomainEvent[]): Promise<string[]> {
    let pending = [...chunk];
    for (let attempt = 0; attempt <= this.retries && pending.length > 0; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      const entries: PutEventsRequestEntry[] = pending.map((e) => ({
        EventBusName: this.busName,
        Source: EVENT_SOURCE,
        DetailType: e.name,
        Time: new Date(e.meta.occurredAt),
        Detail: JSON.stringify({ ...e.payload, meta: e.meta }),
      }));
      try {
        const res = await this.client.send(new PutEventsCommand({ Entries: entries }));
        if (!res.FailedEntryCount) return [];
        // Result entries are positional: an entry with an ErrorCode failed.
        pending = pending.filter((_, idx) => res.Entries?.[idx]?.ErrorCode);
      } catch {
        // The whole call failed (throttled, network): retry the same chunk.
      }
    }
    return pending.map((e) => e.meta.eventId);
  }
}
