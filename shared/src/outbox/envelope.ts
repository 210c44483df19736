/**
 * The shape an event has on a queue: EventBridge's envelope, whose `detail`
 * holds the payload plus `meta`. The local bus writes the same shape, so one
 * consumer parses both.
 */
import * as z from "zod";
import { EVENT_SOURCE, eventMetaSchema, isEventName, type DomainEvent } from "../events/catalogue";
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
    detail: { ...(event.payload as Record<string, unknown>), meta: event.meta },
  };
}

const envelopeSchema = z.object({
  "detail-type": z.string(),
  source: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

/** Parses a queue message body back into an event; a malformed body is a permanent failure. */
export function fromEnvelope(body: string): DomainEvent {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PermanentError("message body is not JSON");
  }
  const env = envelopeSchema.safeParse(json);
  if (!env.success) throw new PermanentError(`message is not an event envelope: ${env.error.message}`);
  const name = env.data["detail-type"];
  if (!isEventName(name)) throw new PermanentError(`unknown event ${name}`);
  const { meta, ...payload } = env.data.detail;
  const parsedMeta = eventMetaSchema.safeParse(meta);
  if (!parsedMeta.success) throw new PermanentError(`event ${name} has no valid meta`);
  return { name, payload: payload as DomainEvent["payload"], meta: parsedMeta.data };
}
