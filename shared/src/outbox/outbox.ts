/**
 * The transactional outbox (docs/architecture.md, "Outbox"). A change and its events are
 * written in one transaction (`stage`); right after commit the writer publishes
 * the events it staged (`publishStaged`); a sweeper publishes whatever is left
 * (bus down, process killed). Nothing lives only in memory.
 */
import { and, asc, inArray, isNull, lt, sql } from "drizzle-orm";
import type { DomainEvent } from "../events/catalogue";
import type { EventBus } from "../ports/bus";
import type { EventEmitter } from "../events/emitter";
import { outbox } from "../adapters/libsql/schema";
import type { Store, Tx } from "../adapters/libsql/store";
import { logger } from "../observability/logger";
import { errorMessage } from "../errors";

export function stage(tx: Tx, events: readonly DomainEvent[]): Promise<unknown> | undefined {
  if (events.length === 0) return undefined;
  const now = new Date().toISOString();
  return tx.insert(outbox).values(
    events.map((e) => ({ id: e.meta.eventId, name: e.name, payload: e.payload, meta: e.meta, createdAt: now })),
  );
}

export interface OutboxStats {
  published: number;
  publishFailures: number;
  lastError: string | null;
}

export class OutboxRelay {
  readonly stats: OutboxStats = { published: 0, publishFailures: 0, lastError: null };
  /** Events this process is publishing right now: the sweeper leaves them alone instead of sending them twice. */
  readonly #inFlight = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly emitter: EventEmitter,
  ) {}

  /**
   * Publishes events this process just committed. Never throws: events the bus
   * refused stay in the outbox for the sweeper.
   */
  async publishStaged(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    for (const e of events) this.#inFlight.add(e.meta.eventId);
    try {
      await this.#publish(events);
    } finally {
      for (const e of events) this.#inFlight.delete(e.meta.eventId);
    }
  }

  async #publish(events: readonly DomainEvent[]): Promise<void> {
    let failed: Set<string>;
    try {
      const result = await this.bus.publish(events);
      failed = new Set(result.failedEventIds);
    } catch (e) {
      this.stats.lastError = errorMessage(e);
      failed = new Set(events.map((e) => e.meta.eventId));
      logger.warn("outbox publish failed; the sweeper will retry", { error: this.stats.lastError, events: events.length });
    }
    const published = events.filter((e) => !failed.has(e.meta.eventId));
    await this.#markPublished(published);
    await this.#markFailed(events.filter((e) => failed.has(e.meta.eventId)));
    for (const e of published) {
      void this.emitter.emit(e.name, e.payload, {
        eventId: e.meta.eventId,
        correlationId: e.meta.correlationId,
        priority: e.meta.priority,
        timestamp: e.meta.occurredAt,
      });
    }
  }

  /** Publishes events still unpublished after `olderThanMs`. Returns how many were published. */
  async sweep(olderThanMs = 5_000, limit = 500): Promise<{ published: number; pending: number }> {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    const rows = await this.store.db
      .select()
      .from(outbox)
      .where(and(isNull(outbox.publishedAt), lt(outbox.createdAt, cutoff)))
      .orderBy(asc(outbox.createdAt))
      .limit(limit);
    const events: DomainEvent[] = rows.filter((r) => !this.#inFlight.has(r.id)).map((r) => ({
      name: r.name as DomainEvent["name"],
      payload: r.payload as DomainEvent["payload"],
      meta: r.meta as DomainEvent["meta"],
    }));
    const before = this.stats.published;
    for (let i = 0; i < events.length; i += 50) await this.publishStaged(events.slice(i, i + 50));
    return { published: this.stats.published - before, pending: await this.pendingCount() };
  }

  async pendingCount(): Promise<number> {
    const [row] = await this.store.db.select({ n: sql<number>`count(*)` }).from(outbox).where(isNull(outbox.publishedAt));
    return Number(row?.n ?? 0);
  }

  /** Drops published rows older than `olderThanMs` (they only served delivery). */
  async prune(olderThanMs = 24 * 3600_000): Promise<number> {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    const res = await this.store.write((tx) => tx.delete(outbox).where(lt(outbox.publishedAt, cutoff)));
    return res.rowsAffected;
  }

  async #markPublished(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.stats.published += events.length;
    const now = new Date().toISOString();
    await this.store.write((tx) =>
      tx.update(outbox).set({ publishedAt: now }).where(inArray(outbox.id, events.map((e) => e.meta.eventId))),
    );
  }

  async #markFailed(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    this.stats.publishFailures += events.length;
    await this.store
      .write((tx) =>
        tx
          .update(outbox)
          .set({ attempts: sql`${outbox.attempts} + 1`, lastError: this.stats.lastError })
          .where(inArray(outbox.id, events.map((e) => e.meta.eventId))),
      )
      .catch(() => undefined);
  }
}
