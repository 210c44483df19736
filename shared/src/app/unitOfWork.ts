/**
 * The one way to change the store and announce it: the change and its events
 * are written in one transaction, then the events are published. If publishing
 * fails the events wait in the outbox; the change is never lost or silent.
 *
 * Inside a task run, a write given `outcome` also records the task's ledger
 * row in the same transaction (tasks/ledgerScope.ts): one commit per task.
 */
import type { DomainEvent, EventName, EventPayload } from "../events/catalogue";
import { makeEvent } from "../outbox/events";
import { stage } from "../outbox/outbox";
import type { Tx } from "../adapters/libsql/store";
import { currentLedgerScope, type TaskOutcome } from "../tasks/ledgerScope";
import type { AppContext } from "./context";

export type Emit = <N extends EventName>(name: N, payload: EventPayload<N>) => void;

export interface WriteOptions<T> {
  /**
   * For a task's final write: the result the task returns after this
   * transaction (from what the transaction body returned). Recorded in the
   * task ledger inside the transaction; outside a task run it is ignored.
   */
  outcome?: (out: T) => TaskOutcome;
}

export async function writeWithEvents<T>(
  ctx: Pick<AppContext, "store" | "relay">,
  correlationId: string,
  fn: (tx: Tx, emit: Emit) => Promise<T>,
  options: WriteOptions<T> = {},
): Promise<T> {
  let events: DomainEvent[] = [];
  const ledger = options.outcome ? currentLedgerScope() : undefined;
  let result: T;
  try {
    result = await ctx.store.write(async (tx) => {
      events = [];
      const emit: Emit = (name, payload) => {
        events.push(makeEvent(name, payload, correlationId));
      };
      const out = await fn(tx, emit);
      await stage(tx, events);
      if (ledger) await ledger.record(tx, options.outcome!(out));
      return out;
    });
  } catch (e) {
    ledger?.settle(false);
    throw e;
  }
  ledger?.settle(true);
  await ctx.relay.publishStaged(events);
  return result;
}
