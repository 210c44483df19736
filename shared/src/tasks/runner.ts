/**
 * Runs one task over a batch of queue messages and decides each message's
 * fate (docs/architecture.md, "Retries and a message's fate"):
 * - done (succeeded or skipped): deleted;
 * - transient failure with retries left: hidden for base * 2^(attempt-1) with
 *   jitter, then retried by the queue;
 * - permanent failure, or retries exhausted: sent to the DLQ with its reason
 *   and deleted from the source queue (no retries burnt on hopeless work).
 * Every attempt is one row in the task ledger.
 */
import { randomUUID } from "node:crypto";
import type { DomainEvent } from "../events/catalogue";
import type { Route } from "../events/routing";
import { fromEnvelope } from "../outbox/envelope";
import { taskRuns } from "../adapters/libsql/schema";
import { errorMessage, isPermanent, TransientError } from "../errors";
import { logger } from "../observability/logger";
import type { AppContext } from "../app/context";
import type { TaskDefinition, TaskResult } from "./types";

export interface QueueMessage {
  messageId: string;
  body: string;
  /** ApproximateReceiveCount: 1 on the first delivery. */
  attempt: number;
}

export type MessageFate =
  | { kind: "done"; result: TaskResult }
  | { kind: "retry"; delaySeconds: number; error: string }
  | { kind: "dead-letter"; error: string };

/** SQS caps a message's visibility timeout at 12 hours. */
const MAX_VISIBILITY_SECONDS = 43_200;

export function backoffSeconds(route: Pick<Route, "retryBaseSeconds">, attempt: number, random = Math.random): number {
  const base = route.retryBaseSeconds * 2 ** Math.max(0, attempt - 1);
  const jitter = 0.8 + random() * 0.4;
  return Math.min(MAX_VISIBILITY_SECONDS, Math.max(0, Math.round(base * jitter)));
}

export class TaskRunner {
  constructor(
    private readonly app: AppContext,
    private readonly task: TaskDefinition,
    private readonly route: Route,
  ) {}

  async runMessages(messages: readonly QueueMessage[]): Promise<MessageFate[]> {
    const parsed = messages.map((m) => {
      try {
        return { message: m, event: fromEnvelope(m.body) as DomainEvent | undefined, parseError: undefined as unknown };
      } catch (e) {
        return { message: m, event: undefined, parseError: e };
      }
    });
    const fates: MessageFate[] = new Array(messages.length);
    const rows: Array<typeof taskRuns.$inferInsert> = [];

    const runnable = parsed.flatMap((p, i) => (p.event ? [{ i, message: p.message, event: p.event }] : []));
    parsed.forEach((p, i) => {
      if (!p.event) {
        fates[i] = { kind: "dead-letter", error: errorMessage(p.parseError) };
        rows.push(this.#row(p.message, null, "failed", new Date(), 0, p.parseError, undefined, null));
      }
    });

    if (this.task.runBatch && runnable.length > 0) {
      await this.#runAsBatch(runnable, fates, rows);
    } else {
      await Promise.all(runnable.map(({ i, message, event }) => this.#runOne(i, message, event, fates, rows)));
    }
    await this.#recordLedger(rows);
    return fates;
  }

  async #runOne(i: number, message: QueueMessage, event: DomainEvent, fates: MessageFate[], rows: Array<typeof taskRuns.$inferInsert>) {
    const started = new Date();
    const t0 = performance.now();
    const ctx = { app: this.app, correlationId: event.meta.correlationId, attempt: message.attempt };
    const subject = this.task.subjectOf(event);
    void this.app.emitter.emit("task.started", { task: this.task.name, resourceId: subject, attempt: message.attempt }, { correlationId: ctx.correlationId });
    try {
      this.#maybeInjectFault();
      const result = await this.task.run(event, ctx);
      fates[i] = { kind: "done", result };
      rows.push(this.#row(message, subject, result.status, started, performance.now() - t0, undefined, result, event.meta.correlationId));
    } catch (error) {
      fates[i] = await this.#failed(message, event, subject, error, ctx);
      rows.push(this.#row(message, subject, fates[i].kind === "retry" ? "retrying" : "failed", started, performance.now() - t0, error, undefined, event.meta.correlationId));
    }
    this.#announce(fates[i]!, subject, message.attempt, performance.now() - t0, event.meta.correlationId);
  }

  async #runAsBatch(
    runnable: Array<{ i: number; message: QueueMessage; event: DomainEvent }>,
    fates: MessageFate[],
    rows: Array<typeof taskRuns.$inferInsert>,
  ) {
    const started = new Date();
    const t0 = performance.now();
    const first = runnable[0]!;
    const ctx = { app: this.app, correlationId: first.event.meta.correlationId, attempt: Math.max(...runnable.map((r) => r.message.attempt)) };
    try {
      this.#maybeInjectFault();
      const results = await this.task.runBatch!(runnable.map((r) => r.event), ctx);
      runnable.forEach((r, k) => {
        const result = results[k] ?? { status: "succeeded" as const };
        fates[r.i] = { kind: "done", result };
        rows.push(this.#row(r.message, this.task.subjectOf(r.event), result.status, started, performance.now() - t0, undefined, result, r.event.meta.correlationId));
        this.#announce(fates[r.i]!, this.task.subjectOf(r.event), r.message.attempt, performance.now() - t0, r.event.meta.correlationId);
      });
    } catch (error) {
      for (const r of runnable) {
        const subject = this.task.subjectOf(r.event);
        fates[r.i] = await this.#failed(r.message, r.event, subject, error, { ...ctx, correlationId: r.event.meta.correlationId, attempt: r.message.attempt });
        rows.push(this.#row(r.message, subject, fates[r.i]!.kind === "retry" ? "retrying" : "failed", started, performance.now() - t0, error, undefined, r.event.meta.correlationId));
        this.#announce(fates[r.i]!, subject, r.message.attempt, performance.now() - t0, r.event.meta.correlationId);
      }
    }
  }

  async #failed(
    message: QueueMessage,
    event: DomainEvent,
    subject: string | null,
    error: unknown,
    ctx: { app: AppContext; correlationId: string; attempt: number },
  ): Promise<MessageFate> {
    const text = errorMessage(error);
    const retriesLeft = message.attempt <= this.route.maxRetries;
    if (!isPermanent(error) && retriesLeft) {
      const delaySeconds = backoffSeconds(this.route, message.attempt);
      logger.warn("task failed, will retry", { task: this.task.name, resourceId: subject, attempt: message.attempt, retryInSeconds: delaySeconds, error: text, correlationId: ctx.correlationId });
      return { kind: "retry", delaySeconds, error: text };
    }
    logger.error("task failed permanently", {
      task: this.task.name,
      resourceId: subject,
      attempt: message.attempt,
      permanent: isPermanent(error),
      error: text,
      stack: error instanceof Error ? error.stack : undefined,
      correlationId: ctx.correlationId,
    });
    await this.task.onGiveUp?.(event, error, ctx).catch((e: unknown) => logger.error("onGiveUp failed", { task: this.task.name, error: errorMessage(e) }));
    return { kind: "dead-letter", error: text };
  }

  #announce(fate: MessageFate, subject: string | null, attempt: number, durationMs: number, correlationId: string | null) {
    const opts = { correlationId: correlationId ?? randomUUID() };
    if (fate.kind === "done") {
      void this.app.emitter.emit("task.completed", { task: this.task.name, resourceId: subject, status: fate.result.status, durationMs }, opts);
    } else if (fate.kind === "retry") {
      void this.app.emitter.emit("task.retrying", { task: this.task.name, resourceId: subject, attempt, error: fate.error, retryInSeconds: fate.delaySeconds }, opts);
    } else {
      void this.app.emitter.emit("task.failed", { task: this.task.name, resourceId: subject, attempt, error: fate.error }, opts);
    }
  }

  #maybeInjectFault() {
    const rate = this.app.config.faultTransientRate;
    if (rate > 0 && Math.random() < rate) throw new TransientError("injected transient fault (FAULT_TRANSIENT_RATE)");
  }

  #row(
    message: QueueMessage,
    subject: string | null,
    status: "succeeded" | "skipped" | "retrying" | "failed",
    started: Date,
    durationMs: number,
    error: unknown,
    result: TaskResult | undefined,
    correlationId: string | null,
  ): typeof taskRuns.$inferInsert {
    return {
      task: this.task.name,
      resourceId: subject,
      messageId: message.messageId,
      attempt: message.attempt,
      status,
      startedAt: started.toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs,
      error: error === undefined ? null : errorMessage(error),
      stack: error instanceof Error ? (error.stack ?? null) : null,
      correlationId,
      revision: result?.revision ?? null,
      detail: result?.reason ?? null,
    };
  }

  async #recordLedger(rows: Array<typeof taskRuns.$inferInsert>) {
    if (rows.length === 0) return;
    try {
      await this.app.store.write((tx) => tx.insert(taskRuns).values(rows));
    } catch (e) {
      // The ledger is a record, not the work: a failed ledger write must not redo finished work.
      logger.error("task ledger write failed", { task: this.task.name, error: errorMessage(e) });
    }
    for (const r of rows) {
      logger.info("task execution", {
        task: r.task,
        resourceId: r.resourceId,
        attempt: r.attempt,
        start: r.startedAt,
        durationMs: r.durationMs,
        outcome: r.status,
        error: r.error,
        correlationId: r.correlationId,
      });
    }
  }
}
