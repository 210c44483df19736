/**
 * The transactional outbox (docs/architecture.md, "Outbox"). A change and its events are
 * written in one transaction (`stage`); right after commit the writer hands
 * the events it staged to the relay (`afterCommit`), which publishes them in
 * its next pass; a sweeper publishes whatever is left (bus down, process
 * killed). Nothing lives only in memory.
 */
import { and, asc, gt, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { checkEvent, type DomainEvent } from "../events/catalogue";
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

/**
 * How long an event nobody reported failing belongs to the process that
 * committed it. That writer publishes it right after its commit and marks it
 * published, or marks the attempt failed (then the sweeper takes it at once).
 * Under load the publish and the mark can take seconds; a sweeper in another
 * process that took such a row after a few seconds published it a second time
 * and the tasks it triggers ran twice (issue 14: quality twice per document).
 * After this long the writer is presumed dead (killed between commit and publish).
 */
export const WRITER_GRACE_MS = 30_000;

/**
 * How long a "published" mark may wait for a write transaction to ride in
 * (`Store.writeGrouped`). Nothing waits for it: this process's sweeper leaves
 * the events alone meanwhile (in flight) and others for `WRITER_GRACE_MS`.
 */
export const MARK_WINDOW_MS = 500;

/** Relay passes publishing at once in one process; calls arriving meanwhile wait for the next pass and share it. */
const MAX_PASSES = 2;
/** Most events in one relay pass (10 SendMessageBatch calls on the local bus, sent together). */
const PASS_EVENTS = 100;
/**
 * Handed-off events not yet published past which a writer waits for its own
 * pass after all: a slow or hung bus pushes back on writers instead of
 * piling events up in memory (they are safe in the outbox either way).
 */
export const HAND_OFF_BACKLOG = 1_000;

export interface RelayOptions {
  /**
   * Writers hand their committed events over and return without waiting for
   * the publish (the local runtime): the events of many writers then share a
   * relay pass, and a writer's next commit overlaps the last one's publish.
   * The outbox row makes this safe: an event the relay never published (the
   * process died) is the sweeper's. Off (the default), a writer returns only
   * once the bus has its events: on AWS Lambda, frozen as soon as it answers,
   * a publish left running would wait for the next invocation. A bus that
   * runs its consumers inside `publish` (inline mode) is always waited for:
   * the request answers after the whole chain of tasks.
   */
  handOff?: boolean;
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
  /** A sweep still running when the next is due is not doubled (both would read the same rows). */
  #sweeping = false;

  readonly #handOff: boolean;
  /** Events given to `publishStaged` whose pass has not finished yet. */
  #backlog = 0;
  /** Those passes' promises, for `drain()`. */
  readonly #unsettled = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly bus: EventBus,
    private readonly emitter: EventEmitter,
    options: RelayOptions = {},
  ) {
    this.#handOff = options.handOff === true;
  }

  /**
   * What a writer calls right after its durable commit (`writeWithEvents`):
   * with `handOff`, queues the events for the next relay pass and resolves at
   * once (unless more than `HAND_OFF_BACKLOG` events wait: then it resolves
   * when its own pass is done); otherwise as `publishStaged`. Never throws.
   */
  afterCommit(events: readonly DomainEvent[]): Promise<void> {
    const published = this.publishStaged(events);
    if (!this.#handOff || this.bus.runsConsumers || this.#backlog > HAND_OFF_BACKLOG) return published;
    return Promise.resolve();
  }

  /** Resolves once every event handed over so far has had its pass (before a process stops). */
  async drain(): Promise<void> {
    while (this.#unsettled.size > 0) await Promise.all([...this.#unsettled]);
  }

  /**
   * Publishes events this process just committed. Never throws: events the bus
   * refused stay in the outbox for the sweeper.
   *
   * Calls made while a relay pass is being gathered or sent share passes: the
   * writes of one group commit settle together, and their events go out in
   * one pass (`SendMessageBatch` of up to 10 per call on the local bus)
   * instead of one send each. A caller resumes when the pass carrying its
   * events has published them (or recorded the failure); nothing is
   * acknowledged before the bus accepted it.
   */
  publishStaged(events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    for (const e of events) this.#inFlight.add(e.meta.eventId);
    // Inline consumers publish from inside this publish: sharing passes (at most MAX_PASSES at once)
    // would have them wait for a pass that waits for them. Each call publishes on its own.
    const published = this.bus.runsConsumers
      ? this.#publishAndSettle(events)
      : new Promise<void>((resolve) => {
          this.#waiting.push({ events, done: resolve });
          this.#schedulePass();
        });
    this.#backlog += events.length;
    this.#unsettled.add(published);
    void published.finally(() => {
      this.#backlog -= events.length;
      this.#unsettled.delete(published);
    });
    return published;
  }

  /** Staged events waiting for the next relay pass, with their callers. */
  #waiting: Array<{ events: readonly DomainEvent[]; done: () => void }> = [];
  #passScheduled = false;
  #passes = 0;

  #schedulePass(): void {
    if (this.#passScheduled || this.#passes >= MAX_PASSES || this.#waiting.length === 0) return;
    this.#passScheduled = true;
    // After the current turn: every write of the same group commit has handed its events over by then.
    setImmediate(() => {
      this.#passScheduled = false;
      void this.#pass();
    });
  }

  /** One relay pass: up to PASS_EVENTS waiting events (whole callers), published together. */
  async #pass(): Promise<void> {
    if (this.#waiting.length === 0 || this.#passes >= MAX_PASSES) return;
    const callers: Array<{ events: readonly DomainEvent[]; done: () => void }> = [];
    let n = 0;
    while (this.#waiting.length > 0 && (callers.length === 0 || n + this.#waiting[0]!.events.length <= PASS_EVENTS)) {
      const c = this.#waiting.shift()!;
      callers.push(c);
      n += c.events.length;
    }
    const events = callers.flatMap((c) => c.events);
    this.#passes++;
    // More waiting than one pass carries: another pass may start alongside this one.
    this.#schedulePass();
    try {
      await this.#publishAndSettle(events);
    } finally {
      this.#passes--;
      for (const c of callers) c.done();
      this.#schedulePass();
    }
  }

  /** Publishes `events` and settles what the relay tracks for them. Never throws: failures leave them to the sweeper. */
  async #publishAndSettle(events: readonly DomainEvent[]): Promise<void> {
    let marking: Promise<void> | undefined;
    try {
      marking = (await this.#publish(events)).marking;
      // Without a group-commit window (AWS Lambda) the caller waits for the marks: nothing is left on a timer.
      if (this.store.groupCommitMs === 0) await marking;
    } catch (e) {
      // #publish reports its own failures; anything else leaves the events to the sweeper.
      logger.warn("outbox relay pass failed; the sweeper will retry", { error: errorMessage(e), events: events.length });
    } finally {
      // Published events stay "in flight" (not swept by this process) until their mark is committed.
      const release = () => {
        for (const e of events) this.#inFlight.delete(e.meta.eventId);
      };
      if (marking) void marking.finally(release);
      else release();
    }
  }

  /** Publishes; returns the pending commit of the "published" marks (a group commit the caller need not wait for). */
  async #publish(events: readonly DomainEvent[]): Promise<{ marking: Promise<void> }> {
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
    const marking = this.#markPublished(published).catch((e: unknown) => {
      // Unmarked rows are swept after the writer's grace and published again; consumers drop the copy by event id.
      logger.warn("outbox mark failed", { error: errorMessage(e), events: published.length });
    });
    await this.#markFailed(events.filter((e) => failed.has(e.meta.eventId)));
    for (const e of published) {
      void this.emitter.emit(e.name, e.payload, {
        eventId: e.meta.eventId,
        correlationId: e.meta.correlationId,
        priority: e.meta.priority,
        timestamp: e.meta.occurredAt,
      });
    }
    return { marking };
  }

  /** Publishes events still unpublished after `olderThanMs`. Returns how many were published. */
  async sweep(olderThanMs = 5_000, limit = 500): Promise<{ published: number; pending: number }> {
    if (this.#sweeping) return { published: 0, pending: await this.pendingCount() };
    this.#sweeping = true;
    try {
      return await this.#sweep(olderThanMs, limit);
    } finally {
      this.#sweeping = false;
    }
  }

  async #sweep(olderThanMs: number, limit: number): Promise<{ published: number; pending: number }> {
    const now = Date.now();
    const cutoff = new Date(now - olderThanMs).toISOString();
    const writerGone = new Date(now - Math.max(olderThanMs, WRITER_GRACE_MS)).toISOString();
    const rows = await this.store.db
      .select()
      .from(outbox)
      .where(
        and(
          isNull(outbox.publishedAt),
          // A failed attempt was reported: sweep soon. No report yet: leave it to its writer for the grace period.
          or(and(gt(outbox.attempts, 0), lt(outbox.createdAt, cutoff)), lt(outbox.createdAt, writerGone)),
        ),
      )
      .orderBy(asc(outbox.createdAt))
      .limit(limit);
    const events: DomainEvent[] = [];
    for (const r of rows) {
      if (this.#inFlight.has(r.id)) continue;
      // Staged rows were validated when made; a row that no longer matches the catalogue is logged, not published.
      const checked = checkEvent(r.name, r.payload, r.meta);
      if (checked.ok) events.push(checked.event);
      else logger.error("outbox row is not a valid event; left unpublished", { id: r.id, reason: checked.reason });
    }
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
    await this.store.writeGrouped(
      (tx) => tx.update(outbox).set({ publishedAt: now }).where(inArray(outbox.id, events.map((e) => e.meta.eventId))),
      // Nobody waits for the marks (`awaited: false`): queued from a task run, they do not hold that run's place.
      { withinMs: MARK_WINDOW_MS, label: "outbox marks", awaited: false },
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
