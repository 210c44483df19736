/**
 * TASK_MODE=inline (requirement 12): the old BackgroundTasks way. Instead of
 * queues, every routed task runs in the request that caused it, through the
 * same task runner (same ledger, same idempotence), ignoring delays. Events a
 * task emits are published the same way, so a whole chain completes before
 * the request answers.
 */
import { randomUUID } from "node:crypto";
import type { DomainEvent } from "../../events/catalogue";
import { routesForEvent, type Route } from "../../events/routing";
import type { EventBus, PublishResult } from "../../ports/bus";
import { toEnvelope } from "../../outbox/envelope";
import { TaskRunner } from "../../tasks/runner";
import { taskFor } from "../../tasks/registry";
import type { AppContext } from "../../app/context";

export class InlineBus implements EventBus {
  readonly runsConsumers = true;
  #app: AppContext | undefined;

  constructor(private readonly table: readonly Route[]) {}

  /** The bus is built before the app it serves; the composition root connects them. */
  attach(app: AppContext): void {
    this.#app = app;
  }

  async publish(events: readonly DomainEvent[]): Promise<PublishResult> {
    const app = this.#app;
    if (!app) throw new Error("InlineBus used before attach()");
    for (const event of events) {
      for (const route of routesForEvent(event.name, event.payload, this.table)) {
        const task = taskFor(route.task);
        if (!task) continue;
        const runner = new TaskRunner(app, task, { ...route, maxRetries: 0 });
        // A task run publishing here waits for these runs: meanwhile it is not work about to write (Store.expectWrites).
        await app.store.whileBlockedOn(() => runner.runMessages([{ messageId: randomUUID(), body: JSON.stringify(toEnvelope(event)), attempt: 1 }]));
      }
    }
    return { failedEventIds: [] };
  }
}
