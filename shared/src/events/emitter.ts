/**
 * Requirement 1: the in-process event emitter. One instance per process
 * (`EventEmitter.shared()`); sync and async handlers; a failing handler is
 * logged and never stops the others; the last 1000 events are kept with
 * timestamp, priority and correlation id, in memory and (when configured) in a
 * shared history store so every process sees the same history.
 *
 * Cross-process delivery is not this class's job: events leave the process
 * through the outbox to the bus (docs/architecture.md, "Outbox").
 */
import { randomUUID } from "node:crypto";
import { safeCorrelationId } from "../observability/correlationId";
import { logger, type AppLogger } from "../observability/logger";

export interface EmittedEvent {
  eventId: string;
  name: string;
  payload: unknown;
  priority: number;
  correlationId: string;
  timestamp: string;
}

export type EventHandler = (event: EmittedEvent) => void | Promise<void>;

export interface EmitOptions {
  priority?: number;
  correlationId?: string;
  eventId?: string;
  timestamp?: string;
}

export interface EmitResult {
  handled: number;
  failed: number;
}

/** Where history goes beyond this process (Redis list); failures are counted, never thrown. */
export interface HistorySink {
  append(event: EmittedEvent): void;
}

interface Registration {
  handler: EventHandler;
  order: number;
}

export const HISTORY_LIMIT = 1000;
export const ANY_EVENT = "*";

export class EventEmitter {
  static #shared: EventEmitter | undefined;

  /** The process-wide singleton (requirement 1.1). */
  static shared(): EventEmitter {
    return (EventEmitter.#shared ??= new EventEmitter());
  }

  readonly #handlers = new Map<string, Registration[]>();
  readonly #history: EmittedEvent[] = new Array<EmittedEvent>(HISTORY_LIMIT);
  #historyStart = 0;
  #historySize = 0;
  #sink: HistorySink | undefined;
  handlerErrors = 0;

  constructor(private readonly log: AppLogger = logger) {}

  /**
   * Registers a handler for an event name, or `*` for all. Handlers with a
   * higher `order` run first. Returns a function that unregisters it.
   */
  on(name: string, handler: EventHandler, options: { order?: number } = {}): () => void {
    const list = this.#handlers.get(name) ?? [];
    list.push({ handler, order: options.order ?? 0 });
    list.sort((a, b) => b.order - a.order);
    this.#handlers.set(name, list);
    return () => this.off(name, handler);
  }

  off(name: string, handler: EventHandler): boolean {
    const list = this.#handlers.get(name);
    if (!list) return false;
    const idx = list.findIndex((r) => r.handler === handler);
    if (idx < 0) return false;
    list.splice(idx, 1);
    if (list.length === 0) this.#handlers.delete(name);
    return true;
  }

  listenerCount(name?: string): number {
    if (name !== undefined) return this.#handlers.get(name)?.length ?? 0;
    let n = 0;
    for (const list of this.#handlers.values()) n += list.length;
    return n;
  }

  setHistorySink(sink: HistorySink | undefined): void {
    this.#sink = sink;
  }

  /**
   * Records the event and runs every handler. Sync handlers run before this
   * returns; the promise settles when the async ones have settled too.
   */
  emit(name: string, payload: unknown, options: EmitOptions = {}): Promise<EmitResult> {
    const event: EmittedEvent = {
      eventId: options.eventId ?? randomUUID(),
      name,
      payload,
      priority: options.priority ?? 5,
      correlationId: safeCorrelationId(options.correlationId),
      timestamp: options.timestamp ?? new Date().toISOString(),
    };
    this.#record(event);
    const specific = this.#handlers.get(name);
    const wildcard = this.#handlers.get(ANY_EVENT);
    let handled = 0;
    let failed = 0;
    let pending: Promise<void>[] | undefined;
    const run = (r: Registration) => {
      handled++;
      try {
        const out = r.handler(event);
        if (out && typeof (out as Promise<void>).then === "function") {
          (pending ??= []).push(
            (out as Promise<void>).catch((e: unknown) => {
              failed++;
              this.#handlerFailed(event, e);
            }),
          );
        }
      } catch (e) {
        failed++;
        this.#handlerFailed(event, e);
      }
    };
    if (specific) for (const r of [...specific]) run(r);
    if (wildcard) for (const r of [...wildcard]) run(r);
    if (!pending) return Promise.resolve({ handled, failed });
    return Promise.all(pending).then(() => ({ handled, failed }));
  }

  /** Newest first. */
  history(filter: { limit?: number; name?: string; correlationId?: string } = {}): EmittedEvent[] {
    const limit = Math.min(filter.limit ?? HISTORY_LIMIT, HISTORY_LIMIT);
    const out: EmittedEvent[] = [];
    for (let i = this.#historySize - 1; i >= 0 && out.length < limit; i--) {
      const e = this.#history[(this.#historyStart + i) % HISTORY_LIMIT];
      if (!e) continue;
      if (filter.name && e.name !== filter.name) continue;
      if (filter.correlationId && e.correlationId !== filter.correlationId) continue;
      out.push(e);
    }
    return out;
  }

  clearHistory(): void {
    this.#historyStart = 0;
    this.#historySize = 0;
  }

  #record(event: EmittedEvent): void {
    if (this.#historySize < HISTORY_LIMIT) {
      this.#history[(this.#historyStart + this.#historySize) % HISTORY_LIMIT] = event;
      this.#historySize++;
    } else {
      this.#history[this.#historyStart] = event;
      this.#historyStart = (this.#historyStart + 1) % HISTORY_LIMIT;
    }
    this.#sink?.append(event);
  }

  #handlerFailed(event: EmittedEvent, error: unknown): void {
    this.handlerErrors++;
    this.log.error("event handler failed", {
      event: event.name,
      eventId: event.eventId,
      correlationId: event.correlationId,
      error: error instanceof Error ? { message: error.message, stack: error.stack } : String(error),
    });
  }
}
