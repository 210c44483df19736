/**
 * Building events: validated payload, metadata, and the priority the event
 * carries (the highest priority among the routes it reaches, so history shows
 * how urgent its consequences are).
 */
import { newId } from "../util/ids";
import { parsePayload, type DomainEvent, type EventName, type EventPayload } from "../events/catalogue";
import { routes } from "../events/routing";

const eventPriority = new Map<string, number>();
for (const r of routes) for (const e of r.events) eventPriority.set(e, Math.max(eventPriority.get(e) ?? 0, r.priority));

export function priorityOf(name: string): number {
  return eventPriority.get(name) ?? 5;
}

export function makeEvent<N extends EventName>(name: N, payload: EventPayload<N>, correlationId: string): DomainEvent<N> {
  const parsed = parsePayload(name, payload);
  return {
    name,
    payload: parsed,
    meta: { eventId: newId(), correlationId, priority: priorityOf(name), occurredAt: new Date().toISOString() },
  };
}
