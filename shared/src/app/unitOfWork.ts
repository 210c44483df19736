/**
 * The one way to change the store and announce it: the change and its events
 * are written in one transaction, then the events are published. If publishing
 * fails the events wait in the outbox; the change is never lost or silent.
 */
import type { DomainEvent, EventName, EventPayload } from "../events/catalogue";
import { makeEvent } from "../outbox/events";
import { stage } from "../outbox/outbox";
import type { Tx } from "../adapters/libsql/store";
import type { AppContext } from "./context";

export type Emit = <N extends EventName>(name: N, payload: EventPayload<N>) => void;

export async function writeWithEvents<T>(
  ctx: Pick<AppContext, "store" | "relay">,
  correlationId: string,
  fn: (tx: Tx, emit: Emit) => Promise<T>,
): Promise<T> {
  let events: DomainEvent[] = [];
  const result = await ctx.store.write(async (tx) => {
    events = [];
    const emit: Emit = (name, payload) => {
      events.push(makeEvent(name, payload, correlationId));
    };
    const out = await fn(tx, emit);
    await stage(tx, events);
    return out;
  });
  await ctx.relay.publishStaged(events);
  return result;
}
