/**
 * The shape an event has on a queue: EventBridge's envelope, whose `detail`
 * holds the payload plus `meta`. The local bus writes the same shape, so one
 * consumer parses both.
 */
import * as z from "zod";
import { checkEvent, EVENT_SOURCE, type DomainEvent } from "../events/catalogue";
import { PermanentError } from "../errors";

export interface EventEnvelope {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown> & { meta: DomainEvent["meta"] };
}

export function toEnvelope(event: DomainEvent, region = "local", account = "000000000000"): EventEnvelope {
  return {
    version: "0",
    id: event.meta.eventId,
    "detail-type": event.name,
    source: EVENT_SOURCE,
    account,
    time: event.meta.occurredAt,
    region,
    resources: [],
    detail: { ...event.payload, meta: event.meta },
  };
}

const envelopeSchema = z.object({
  "detail-type": z.string(),
  source: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/**
 * Parses a queue message body back into an event. Everything is checked at
 * this door: JSON, envelope, event name, meta, and the payload against its
 * event's schema. Anything else is a permanent failure (the runner sends it
 * to the DLQ with this reason and never runs it): a malformed or forged
 * message is refused before any task sees it.
 */
export function fromEnvelope(body: string): DomainEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PermanentError("message body is not JSON");
  }
  const env = envelopeSchema.safeParse(json);
  if (!env.success) throw new PermanentError(`message is not an event envelope: ${env.error.message}`);
  const { meta, ...payload } = env.data.detail;
  const checked = checkEvent(env.data["detail-type"], payload, meta);
  if (!checked.ok) throw new PermanentError(checked.reason);
  return checked.event;
}
