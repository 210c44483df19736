/**
 * Runs one task over a batch of queue messages and decides each message's
 * fate (docs/architecture.md, "Retries and a message's fate"):
 * - done (succeeded or skipped): deleted;
 * - transient failure with retries left: hidden for base * 2^(attempt-1) with
 *   jitter, then retried by the queue;
 * - permanent failure, or retries exhausted: sent to the DLQ with its reason
 *   and deleted from the source queue (no retries burnt on hopeless work).
 * Every attempt is one row in the task ledger. A task's final write
 * transaction records it (tasks/ledgerScope.ts: one commit per task); the
 * runner writes it only for runs that wrote nothing or ended otherwise.
 */
import { randomUUID } from "node:crypto";
import { and, eq, inArray } from "drizzle-orm";
import type { DomainEvent } from "../events/catalogue";
import type { Route } from "../events/routing";
import { fromEnvelope } from "../outbox/envelope";
import { taskRuns } from "../adapters/libsql/schema";
import { errorMessage, isPermanent, PermanentError, TransientError } from "../errors";
import { logger } from "../observability/logger";
import type { AppContext } from "../app/context";
import type { TaskDefinition, TaskResult } from "./types";
import { LedgerScope, runInLedgerScope, sameResult, type LedgerRow } from "./ledgerScope";

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

/** `task eventId` of every message this process is running now: a second copy arriving meanwhile is not run twice. */
const running = new Set<string>();

export class TaskRunner {
  constructor(
    private readonly app: AppContext,
    private readonly task: TaskDefinition,
    private readonly route: Route,
  ) {}

  async runMessages(messages: readonly QueueMessage[]): Promise<MessageFate[]> {
    const parsed = messages.map((m) => this.#parse(m));
    const fates: MessageFate[] = new Array(messages.length);
    const rows: LedgerEntry[] = [];

    const delivered = await this.#alreadyDone(parsed.flatMap((p) => (p.event ? [p.event.meta.eventId] : [])));
    const runnable = parsed.flatMap((p, i) => {
      if (!p.event) return [];
      const key = `${this.task.name} ${p.event.meta.eventId}`;
      // Finished before, running in this process now (its copy is still in flight: a failure retries it), or twice in this batch.
      const seen = delivered.has(p.event.meta.eventId) || running.has(key);
      delivered.add(p.event.meta.eventId);
      if (seen) {
        // A second delivery of an event this task already finished (its publish was retried after an
        // ambiguous timeout, or SQS delivered it twice): not an attempt, no ledger row, nothing to redo.
        fates[i] = { kind: "done", result: { status: "skipped", reason: "event already handled" } };
        logger.info("duplicate delivery acknowledged", { task: this.task.name, eventId: p.event.meta.eventId, messageId: p.message.messageId });
        return [];
      }
      return [{ i, message: p.message, event: p.event }];
    });
    parsed.forEach((p, i) => {
      if (!p.event) {
        fates[i] = { kind: "dead-letter", error: errorMessage(p.parseError) };
        rows.push({ row: this.#row(p.message, null, "failed", new Date(), 0, p.parseError, undefined, null) });
      }
    });

    const keys = runnable.map((r) => `${this.task.name} ${r.event.meta.eventId}`);
    for (const k of keys) running.add(k);
    try {
      if (this.task.runBatch && runnable.length > 0) {
        await this.#runAsBatch(runnable, fates, rows);
      } else {
        await Promise.all(runnable.map(({ i, message, event }) => this.#runOne(i, message, event, fates, rows)));
      }
      await this.#recordLedger(rows);
    } finally {
      for (const k of keys) running.delete(k);
    }
    return fates;
  }

  /** A message this task can run, or why not: malformed, forged or misrouted messages are never run. */
  #parse(message: QueueMessage): { message: QueueMessage; event?: DomainEvent; parseError?: unknown } {
    try {
      const event = fromEnvelope(message.body);
      if (!this.task.consumes.includes(event.name)) return { message, parseError: new PermanentError(`task ${this.task.name} does not consume ${event.name}`) };
      return { message, event };
    } catch (e) {
      return { message, parseError: e };
    }
  }

  async #runOne(i: number, message: QueueMessage, event: DomainEvent, fates: MessageFate[], rows: LedgerEntry[]) {
    const started = new Date();
    const t0 = performance.now();
    const ctx = { app: this.app, correlationId: event.meta.correlationId, attempt: message.attempt };
    const subject = this.task.subjectOf(event);
    const row = (status: "succeeded" | "skipped" | "retrying" | "failed", error: unknown, result: TaskResult | undefined) =>
      this.#row(message, subject, status, started, performance.now() - t0, error, result, event.meta.correlationId, event.meta.eventId);
    const ledger = new LedgerScope((_k, result) => row(result.status, undefined, result), 1);
    void this.app.emitter.emit("task.started", { task: this.task.name, resourceId: subject, attempt: message.attempt }, { correlationId: ctx.correlationId });
    try {
      this.#maybeInjectFault();
      // A run is work that will likely write: bookkeeping waiting for a transaction to ride in waits for its write too.
      const result = await this.app.store.expectWrites(() => runInLedgerScope(ledger, () => this.task.run(event, ctx)));
      fates[i] = { kind: "done", result };
      rows.push(entry(row(result.status, undefined, result), ledger.recorded(0), result));
    } catch (error) {
      fates[i] = await this.#failed(message, event, subject, error, ctx);
      rows.push(entry(row(fates[i].kind === "retry" ? "retrying" : "failed", error, undefined), ledger.recorded(0)));
    }
    this.#announce(fates[i]!, subject, message.attempt, performance.now() - t0, event.meta.correlationId);
  }

  async #runAsBatch(runnable: Array<{ i: number; message: QueueMessage; event: DomainEvent }>, fates: MessageFate[], rows: LedgerEntry[]) {
    const started = new Date();
    const t0 = performance.now();
    const first = runnable[0]!;
    const ctx = { app: this.app, correlationId: first.event.meta.correlationId, attempt: Math.max(...runnable.map((r) => r.message.attempt)) };
    const row = (r: (typeof runnable)[number], status: "succeeded" | "skipped" | "retrying" | "failed", error: unknown, result: TaskResult | undefined) =>
      this.#row(r.message, this.task.subjectOf(r.event), status, started, performance.now() - t0, error, result, r.event.meta.correlationId, r.event.meta.eventId);
    const ledger = new LedgerScope((k, result) => row(runnable[k]!, result.status, undefined, result), runnable.length);
    try {
      this.#maybeInjectFault();
      const results = await this.app.store.expectWrites(() => runInLedgerScope(ledger, () => this.task.runBatch!(runnable.map((r) => r.event), ctx)));
      runnable.forEach((r, k) => {
        const result = results[k] ?? { status: "succeeded" as const };
        fates[r.i] = { kind: "done", result };
        rows.push(entry(row(r, result.status, undefined, result), ledger.recorded(k), result));
        this.#announce(fates[r.i]!, this.task.subjectOf(r.event), r.message.attempt, performance.now() - t0, r.event.meta.correlationId);
      });
    } catch (error) {
      for (const [k, r] of runnable.entries()) {
        const subject = this.task.subjectOf(r.event);
        fates[r.i] = await this.#failed(r.message, r.event, subject, error, { ...ctx, correlationId: r.event.meta.correlationId, attempt: r.message.attempt });
        rows.push(entry(row(r, fates[r.i]!.kind === "retry" ? "retrying" : "failed", error, undefined), ledger.recorded(k)));
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
    eventId: string | null = null,
  ): LedgerRow {
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
      eventId,
    };
  }

  /** Event ids among `eventIds` this task already finished (succeeded or skipped), from the ledger. */
  async #alreadyDone(eventIds: readonly string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    try {
      const rows = await this.app.store.db
        .select({ eventId: taskRuns.eventId })
        .from(taskRuns)
        .where(and(eq(taskRuns.task, this.task.name), inArray(taskRuns.eventId, [...eventIds]), inArray(taskRuns.status, ["succeeded", "skipped"])));
      return new Set(rows.map((r) => r.eventId).filter((id): id is string => id !== null));
    } catch {
      // The check saves work; without it the task's own revision checks still make a rerun harmless.
      return new Set();
    }
  }

  async #recordLedger(entries: LedgerEntry[]) {
    if (entries.length === 0) return;
    // Rows the task's own transaction wrote and that already say what happened need nothing more.
    const inserts = entries.filter((e) => e.recorded === undefined).map((e) => e.row);
    const corrections = entries.filter((e) => e.recorded !== undefined && !e.current);
    if (inserts.length > 0 || corrections.length > 0) {
      try {
        // Bookkeeping: rides in the next write transaction of the process (or a group commit of its own).
        await this.app.store.writeGrouped(
          async (tx) => {
            if (inserts.length > 0) await tx.insert(taskRuns).values(inserts);
            for (const c of corrections) await tx.update(taskRuns).set(c.row).where(eq(taskRuns.id, c.recorded!));
          },
          { label: `ledger row: ${this.task.name}` },
        );
      } catch (e) {
        // The ledger is a record, not the work: a failed ledger write must not redo finished work.
        logger.error("task ledger write failed", { task: this.task.name, error: errorMessage(e) });
      }
    }
    for (const { row: r } of entries) {
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

/** A run's ledger row, and the id of the row its own transaction wrote (`current`: that row already says so). */
interface LedgerEntry {
  row: LedgerRow;
  recorded?: number;
  current?: boolean;
}

function entry(row: LedgerRow, recorded: { id: number; result: TaskResult } | undefined, result?: TaskResult): LedgerEntry {
  if (!recorded) return { row };
  return { row, recorded: recorded.id, current: result !== undefined && sameResult(recorded.result, result) };
}
