/**
 * `GET /metrics` locally (requirement 11): the figures of the monitoring
 * endpoints as Prometheus text, in a registry of our own (not prom-client's
 * global one, so two stacks in one test process do not collide).
 *
 * Counters follow this process's emitter (task lifecycle events, every event
 * by name), so the task runner needs no metrics code. Everything else is read
 * when scraped: queue depths from SQS, store, cache and poller figures.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { Events } from "../events/catalogue";
import type { EmittedEvent } from "../events/emitter";
import type { AppContext } from "../app/context";
import { readQueueFigures } from "./queueFigures";
import { logger } from "./logger";
import { errorMessage } from "../errors";
import { degradedStatus } from "../app/degradedStatus";
import { taskFieldsOf } from "./taskFigures";

export class PrometheusMetrics {
  readonly registry = new Registry();
  readonly #unsubscribe: () => void;

  constructor(app: AppContext) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: "alexandria_process_" });

    const tasks = new Counter({ name: "alexandria_task_executions_total", help: "Task executions by task and outcome (succeeded, skipped, retrying, failed).", labelNames: ["task", "status"], registers });
    const duration = new Histogram({
      name: "alexandria_task_duration_seconds",
      help: "Duration of finished task executions (succeeded or skipped).",
      labelNames: ["task", "status"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    });
    const events = new Counter({ name: "alexandria_events_emitted_total", help: "Events emitted in this process, by name.", labelNames: ["name"], registers });

    this.#unsubscribe = app.emitter.on("*", (e: EmittedEvent) => {
      events.inc({ name: e.name });
      const p = taskFieldsOf(e.payload);
      if (!p.task) return;
      if (e.name === Events.task.completed) {
        const status = p.status ?? "succeeded";
        tasks.inc({ task: p.task, status });
        if (typeof p.durationMs === "number") duration.observe({ task: p.task, status }, p.durationMs / 1000);
      } else if (e.name === Events.task.retrying) {
        tasks.inc({ task: p.task, status: "retrying" });
      } else if (e.name === Events.task.failed) {
        tasks.inc({ task: p.task, status: "failed" });
      }
    });

    this.#scraped("alexandria_queue_messages", "Messages per route queue and state (visible, in_flight, delayed, dlq).", ["task", "state"], async (g) => {
      if (!app.runtime) return;
      for (const q of await readQueueFigures(app.runtime, app.routes)) {
        if (q.visible !== null) g.set({ task: q.task, state: "visible" }, q.visible);
        if (q.inFlight !== null) g.set({ task: q.task, state: "in_flight" }, q.inFlight);
        if (q.delayed !== null) g.set({ task: q.task, state: "delayed" }, q.delayed);
        if (q.dlqDepth !== null) g.set({ task: q.task, state: "dlq" }, q.dlqDepth);
        if (q.oldestMessageAgeSeconds !== null) g.set({ task: q.task, state: "oldest_age_seconds" }, q.oldestMessageAgeSeconds);
      }
    });

    this.#scraped("alexandria_store", "Store figures: operations, errors, in-flight and waiting statements, health checks, busy retries, write transactions and write-lock time (ms), bookkeeping writes that rode in another transaction, latency p50/p95 (ms).", ["figure"], async (g) => {
      const s = app.store.stats.snapshot();
      g.set({ figure: "operations" }, s.operations);
      g.set({ figure: "errors" }, s.errors);
      g.set({ figure: "in_flight" }, s.inFlight);
      g.set({ figure: "waiting" }, s.waiting);
      g.set({ figure: "health_checks" }, s.healthChecks);
      g.set({ figure: "busy_retries" }, s.busyRetries);
      g.set({ figure: "write_transactions" }, s.writeTransactions);
      g.set({ figure: "write_lock_ms" }, s.writeLockMs);
      g.set({ figure: "riders" }, s.riders);
      if (s.latencyMs.p50 !== null) g.set({ figure: "latency_p50_ms" }, s.latencyMs.p50);
      if (s.latencyMs.p95 !== null) g.set({ figure: "latency_p95_ms" }, s.latencyMs.p95);
      g.set({ figure: "outbox_pending" }, await app.relay.pendingCount());
    });

    // The cache's own statistics (shared through Redis when it is configured): do not sum across instances.
    this.#scraped("alexandria_cache", "Cache figures (hits, misses, sets, invalidations, errors, hit_rate), all types and per type.", ["type", "figure"], async (g) => {
      const s = await app.cache.stats();
      const put = (type: string, f: { hits: number; misses: number; sets: number; invalidations: number; errors: number }) => {
        for (const figure of ["hits", "misses", "sets", "invalidations", "errors"] as const) g.set({ type, figure }, f[figure]);
      };
      put("all", s);
      g.set({ type: "all", figure: "hit_rate" }, s.hitRate);
      for (const [type, f] of Object.entries(s.byType)) put(type, f);
    });

    // Summed over this process and the workers reporting through Redis, like /monitoring/degraded.
    this.#scraped("alexandria_degraded", "Times each degraded mode occurred since the processes started (coarse-search-invalidation, redis-unavailable, embedder-throttled).", ["mode"], async (g) => {
      for (const [mode, count] of Object.entries((await degradedStatus(app)).total)) g.set({ mode }, count);
    });

    this.#scraped("alexandria_poller", "Local pollers: alive (0/1), concurrency, active messages, processed and failed messages.", ["task", "figure"], async (g) => {
      for (const p of app.runtime?.pollers?.() ?? []) {
        g.set({ task: p.task, figure: "alive" }, p.alive ? 1 : 0);
        g.set({ task: p.task, figure: "concurrency" }, p.concurrency);
        g.set({ task: p.task, figure: "active_messages" }, p.activeMessages);
        g.set({ task: p.task, figure: "processed" }, p.processed);
        g.set({ task: p.task, figure: "failed" }, p.failed);
      }
    });
  }

  /** A gauge filled at scrape time; a failing source leaves it empty rather than failing the scrape. */
  #scraped(name: string, help: string, labelNames: string[], fill: (g: Gauge<string>) => Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          await fill(this);
        } catch (e) {
          logger.warn("metrics source failed", { metric: name, error: errorMessage(e) });
        }
      },
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  close(): void {
    this.#unsubscribe();
    this.registry.clear();
  }
}
