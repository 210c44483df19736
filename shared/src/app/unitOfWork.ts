/**
 * The one way to change the store and announce it: the change and its events
 * are written in one transaction, then handed to the outbox relay, which
 * publishes them (OutboxRelay.afterCommit: the writer waits for that publish
 * on AWS and in inline mode, not in the local runtime). If publishing fails
 * the events wait in the outbox; the change is never lost or silent.
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
  /**
   * A small write that may share another write's commit: it rides in the
   * next write transaction of the process (a savepoint of it), or commits
   * alone after the group-commit window, longer while other task runs of the
   * process may still write (`Store.writeGrouped`; at once on AWS). Still committed before this resolves and before its events are
   * published; only the commit is shared.
   */
  grouped?: boolean;
}

export async function writeWithEvents<T>(
  ctx: Pick<AppContext, "store" | "relay">,
  correlationId: string,
  fn: (tx: Tx, emit: Emit) => Promise<T>,
  options: WriteOptions<T> = {},
): Promise<T> {
  let events: DomainEvent[] = [];
  const ledger = options.outcome ? currentLedgerScope() : undefined;
  const body = async (tx: Tx): Promise<T> => {
    events = [];
    const emit: Emit = (name, payload) => {
      events.push(makeEvent(name, payload, correlationId));
    };
    const out = await fn(tx, emit);
    await stage(tx, events);
    if (ledger) await ledger.record(tx, options.outcome!(out));
    return out;
  };
  let result!: T;
  try {
    if (options.grouped) {
      await ctx.store.writeGrouped(async (tx) => {
        result = await body(tx);
      });
    } else {
      result = await ctx.store.write(body);
    }
  } catch (e) {
    ledger?.settle(false);
    throw e;
  }
  ledger?.settle(true);
  // Handed to the relay: published in its next pass (the local runtime returns without waiting for it;
  // AWS and inline mode wait). Committed, the events are safe: an unpublished row is the sweeper's.
  await ctx.relay.afterCommit(events);
  return result;
}
