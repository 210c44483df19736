/**
 * CloudWatch EMF metrics (AWS): the names and dimensions the CDK dashboard
 * and alarms search for, produced from the emitter's events and the cache's
 * reads, flushed once per invocation. Powertools writes EMF as JSON lines on
 * stdout; the test reads those lines.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { EventEmitter } from "@shared/events/emitter";
import { countCacheReads, flushMetricsAfter, METRICS_NAMESPACE, publishEmfMetrics, emfCacheCounter } from "@shared/observability/emfMetrics";
import { TwoLayerCache } from "@shared/cache/twoLayerCache";
import { PassThroughCache } from "@shared/cache/passThroughCache";

interface EmfLine {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
}

let lines: EmfLine[];
let restore: () => void;

beforeEach(() => {
  lines = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split("\n")) {
      if (line.includes('"_aws"')) lines.push(JSON.parse(line) as EmfLine);
    }
    return true;
  });
  restore = () => spy.mockRestore();
});
afterEach(() => restore());

const quietLog = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };
const metricNames = (l: EmfLine) => l._aws.CloudWatchMetrics[0]!.Metrics.map((m) => m.Name);

describe("EMF metrics from the emitter", () => {
  it("counts task outcomes with a Task dimension and events as EventsPublished", async () => {
    const emitter = new EventEmitter(quietLog);
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "test", defaultDimensions: { Task: "embedding" } });
    const stop = publishEmfMetrics(emitter, metrics, { taskDimension: "embedding" });

    await emitter.emit("task.started", { task: "embedding", resourceId: "r1", attempt: 1 });
    await emitter.emit("task.completed", { task: "embedding", resourceId: "r1", status: "succeeded", durationMs: 12.5 });
    await emitter.emit("task.completed", { task: "embedding", resourceId: "r2", status: "skipped", durationMs: 1 });
    await emitter.emit("task.retrying", { task: "embedding", resourceId: "r3", attempt: 1, error: "x", retryInSeconds: 60 });
    await emitter.emit("embedding.generated", { resourceId: "r1", contentRevision: 1, reused: false });
    // Another task's outcome in this process goes out at once, with its own Task dimension.
    await emitter.emit("task.failed", { task: "quality", resourceId: "r9", attempt: 3, error: "boom" });
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ Task: "quality", TaskFailed: 1 });
    expect(lines[0]!._aws.CloudWatchMetrics[0]!.Namespace).toBe("NeoAlexandria");

    metrics.publishStoredMetrics();
    expect(lines.length).toBe(2);
    const flushed = lines[1]!;
    expect(flushed._aws.CloudWatchMetrics[0]!.Dimensions[0]).toContain("Task");
    expect(flushed).toMatchObject({ Task: "embedding", TaskSucceeded: 1, TaskSkipped: 1, TaskRetried: 1, EventsPublished: 1 });
    expect(flushed.TaskDuration).toEqual([12.5, 1]);
    expect(metricNames(flushed)).not.toContain("TaskStarted");

    stop();
    await emitter.emit("task.completed", { task: "embedding", resourceId: "r1", status: "succeeded", durationMs: 1 });
    expect(metrics.hasStoredMetrics()).toBe(false);
  });
});

describe("cache reads as CacheHits and CacheMisses", () => {
  it("counts a read-through hit when the loader did not run, and forwards everything else", async () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "test" });
    const real = new TwoLayerCache({});
    const cache = countCacheReads(real, emfCacheCounter(metrics));
    let loads = 0;
    const load = async () => {
      loads++;
      return { n: 1 };
    };
    expect(await cache.getOrLoad("resource", "a", load)).toEqual({ n: 1 });
    expect(await cache.getOrLoad("resource", "a", load)).toEqual({ n: 1 });
    expect(await cache.get("resource", "missing")).toBeUndefined();
    expect(loads).toBe(1);
    expect(cache).toBeInstanceOf(TwoLayerCache);
    expect((await cache.stats()).totalOperations).toBeGreaterThanOrEqual(3);

    metrics.publishStoredMetrics();
    expect(lines.at(-1)).toMatchObject({ CacheHits: 1, CacheMisses: [1, 1] });
    await real.close();
  });

  it("counts every read of a pass-through cache as a miss", async () => {
    const seen: boolean[] = [];
    const cache = countCacheReads(new PassThroughCache(), (_t, hit) => seen.push(hit));
    await cache.getOrLoad("search", "q", async () => 1);
    await cache.getOrLoad("search", "q", async () => 1);
    expect(seen).toEqual([false, false]);
  });
});

describe("flushMetricsAfter", () => {
  it("flushes once per invocation, and writes nothing (no warning) when nothing was recorded", async () => {
    const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: "test", logger: quietLog });
    const handler = flushMetricsAfter(async (record: boolean) => {
      if (record) metrics.addMetric("EventsPublished", "Count", 2);
      return "ok";
    }, metrics);
    expect(await handler(true)).toBe("ok");
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ EventsPublished: 2 });
    expect(await handler(false)).toBe("ok");
    expect(lines.length).toBe(1);
    expect(quietLog.warn).not.toHaveBeenCalled();

    const failing = flushMetricsAfter(async () => {
      metrics.addMetric("EventsPublished", "Count", 1);
      throw new Error("handler failed");
    }, metrics);
    await expect(failing()).rejects.toThrow("handler failed");
    expect(lines.length).toBe(2);
  });
});
