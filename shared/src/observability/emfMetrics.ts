/**
 * The figures of `/metrics` as CloudWatch EMF metrics on AWS (Powertools
 * Metrics, namespace NeoAlexandria). The names are the ones the CDK dashboard
 * and alarms search for: TaskSucceeded, TaskSkipped, TaskFailed, TaskRetried
 * and TaskDuration with dimension Task; EventsPublished; CacheHits and
 * CacheMisses.
 *
 * Task metrics come from the emitter's task.* events, so the runner stays
 * free of metrics code. Degraded modes (degradation.ts) are counted per
 * invocation and flushed as `Degraded` with dimensions service and Mode only
 * (the same set on every function, so one alarm per mode covers them all). Each Lambda flushes once per invocation:
 * `logMetrics(lambdaMetrics())` in the task consumer, `flushMetricsAfter` for
 * the HTTP API (whose reads often record nothing, and Powertools warns on an
 * empty flush).
 *
 * @example
 * export const handler = middy(consume).use(logMetrics(lambdaMetrics(), { captureColdStartMetric: true }));
 */
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { Events } from "../events/catalogue";
import { EventEmitter, type EmittedEvent } from "../events/emitter";
import type { Cache, CacheType } from "../ports/cache";
import { DEGRADED_METRIC, onDegraded, type DegradedMode } from "./degradation";
import { taskFieldsOf } from "./taskFigures";

export const METRICS_NAMESPACE = "NeoAlexandria";

/**
 * Adds a metric per task lifecycle event and one EventsPublished per domain
 * event. A task Lambda runs one task type, so `taskDimension` (its Task
 * default dimension) lets task metrics join the per-invocation flush; other
 * tasks' metrics go out as single metrics with their own Task dimension.
 */
export function publishEmfMetrics(emitter: EventEmitter, metrics: Metrics, options: { taskDimension?: string | undefined } = {}): () => void {
  const add = (task: string, name: string, unit: (typeof MetricUnit)[keyof typeof MetricUnit], value: number) => {
    if (task === options.taskDimension) {
      metrics.addMetric(name, unit, value);
      return;
    }
    const single = metrics.singleMetric();
    single.addDimension("Task", task);
    single.addMetric(name, unit, value);
  };
  return emitter.on("*", (e: EmittedEvent) => {
    const p = taskFieldsOf(e.payload);
    switch (e.name) {
      case Events.task.completed:
        if (!p.task) return;
        add(p.task, p.status === "skipped" ? "TaskSkipped" : "TaskSucceeded", MetricUnit.Count, 1);
        if (typeof p.durationMs === "number") add(p.task, "TaskDuration", MetricUnit.Milliseconds, p.durationMs);
        return;
      case Events.task.retrying:
        if (p.task) add(p.task, "TaskRetried", MetricUnit.Count, 1);
        return;
      case Events.task.failed:
        if (p.task) add(p.task, "TaskFailed", MetricUnit.Count, 1);
        return;
      case Events.task.started:
        return;
      default:
        // Everything else reaches the emitter from the outbox relay, after the bus accepted it.
        metrics.addMetric("EventsPublished", MetricUnit.Count, 1);
    }
  });
}

/**
 * A cache that counts its reads as CacheHits / CacheMisses. A read-through
 * read is a miss when its loader ran. The proxy forwards everything else, so
 * extra methods of the real cache (warm, cleanup) keep working.
 */
export function countCacheReads(cache: Cache, onRead: (type: CacheType, hit: boolean) => void): Cache {
  return new Proxy(cache, {
    get(target, prop, receiver) {
      if (prop === "get") {
        return async <T>(type: CacheType, key: string) => {
          const value = await target.get<T>(type, key);
          onRead(type, value !== undefined);
          return value;
        };
      }
      if (prop === "getOrLoad") {
        return async <T>(type: CacheType, key: string, load: () => Promise<T>, opts?: Parameters<Cache["getOrLoad"]>[3]) => {
          let loaded = false;
          const value = await target.getOrLoad<T>(
            type,
            key,
            () => {
              loaded = true;
              return load();
            },
            opts,
          );
          onRead(type, !loaded);
          return value;
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

export function emfCacheCounter(metrics: Metrics): (type: CacheType, hit: boolean) => void {
  return (_type, hit) => metrics.addMetric(hit ? "CacheHits" : "CacheMisses", MetricUnit.Count, 1);
}

let shared: Metrics | undefined;
let degradedSink: Metrics | undefined;
const pendingDegraded = new Map<DegradedMode, number>();

/** The Lambda container's metrics, subscribed to its emitter (and to degraded modes) on first use. */
export function lambdaMetrics(): Metrics {
  if (!shared) {
    const namespace = process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE;
    const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? "neo-alexandria";
    shared = new Metrics({ namespace, serviceName });
    const task = process.env.TASK_NAME;
    if (task) shared.setDefaultDimensions({ Task: task });
    publishEmfMetrics(EventEmitter.shared(), shared, { taskDimension: task });
    // Its own instance: no Task dimension, so every function emits the same dimension set.
    degradedSink = new Metrics({ namespace, serviceName });
    onDegraded((mode) => pendingDegraded.set(mode, (pendingDegraded.get(mode) ?? 0) + 1));
  }
  return shared;
}

/** Publishes the degraded modes counted since the last flush: one EMF line per mode that occurred. */
export function flushDegraded(): void {
  for (const [mode, count] of pendingDegraded) {
    const single = (degradedSink ??= new Metrics({ namespace: METRICS_NAMESPACE })).singleMetric();
    single.addDimension("Mode", mode);
    single.addMetric(DEGRADED_METRIC, MetricUnit.Count, count);
  }
  pendingDegraded.clear();
}

/** Flushes degraded-mode counts after every invocation (the task consumer, whose other metrics logMetrics flushes). */
export function flushDegradedAfter<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } finally {
      flushDegraded();
    }
  };
}

/** Flushes after every invocation, and stays silent when the invocation recorded nothing. */
export function flushMetricsAfter<A extends unknown[], R>(handler: (...args: A) => Promise<R>, metrics: Metrics = lambdaMetrics()): (...args: A) => Promise<R> {
  return async (...args) => {
    try {
      return await handler(...args);
    } finally {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
      flushDegraded();
    }
  };
}
