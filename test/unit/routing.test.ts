import { describe, expect, it } from "vitest";
import { allEventNames, eventSchemas } from "@shared/events/catalogue";
import { applyRouteOverrides, instantTimings, matchesCondition, routes, routesForEvent, TaskNames, visibilityTimeoutSeconds } from "@shared/events/routing";
import { schedules, toAwsCron } from "@shared/events/schedules";
import { capacityFor } from "@shared/events/priority";
import { taskRegistry } from "@shared/tasks/registry";

describe("event catalogue", () => {
  it("names every event {entity}.{action}", () => {
    for (const name of allEventNames) expect(name).toMatch(/^[a-z]+\.[a-z_]+$/);
  });

  it("covers the lifecycle, processing, search, graph, cache, user and task events of requirement 2", () => {
    for (const name of [
      "resource.created", "resource.updated", "resource.deleted", "resource.content_changed", "resource.metadata_changed",
      "ingestion.completed", "embedding.generated", "quality.computed", "classification.suggested",
      "search.index_updated", "graph.edges_updated", "cache.invalidated", "user.interaction_tracked",
      "task.started", "task.completed", "task.failed",
    ]) expect(Object.keys(eventSchemas)).toContain(name);
  });
});

describe("routing table", () => {
  it("routes only catalogue events, to tasks that exist", () => {
    for (const r of routes) {
      for (const e of r.events) expect(allEventNames).toContain(e);
      expect(TaskNames).toContain(r.task);
      expect(taskRegistry[r.task], `no task implements route ${r.task}`).toBeDefined();
    }
  });

  it("sends each task exactly the events the task declares it consumes", () => {
    for (const r of routes) expect([...taskRegistry[r.task].consumes].sort(), r.task).toEqual([...r.events].sort());
  });

  it("has one route (and so one queue and DLQ) per task type", () => {
    expect(new Set(routes.map((r) => r.task)).size).toBe(routes.length);
    expect(routes.map((r) => r.task).sort()).toEqual([...TaskNames].sort());
  });

  it("keeps every route within what SQS and Lambda accept", () => {
    for (const r of routes) {
      expect(r.delaySeconds).toBeGreaterThanOrEqual(0);
      expect(r.delaySeconds).toBeLessThanOrEqual(900);
      expect(r.batchWindowSeconds).toBeLessThanOrEqual(300);
      expect(visibilityTimeoutSeconds(r)).toBeGreaterThanOrEqual(6 * r.timeoutSeconds);
      expect(visibilityTimeoutSeconds(r)).toBeLessThanOrEqual(43_200);
      expect(r.maxRetries).toBeGreaterThanOrEqual(0);
    }
  });

  it("has the requirements' timings and priorities (requirement 3 and 5)", () => {
    const by = Object.fromEntries(routes.map((r) => [r.task, r]));
    expect(by.embedding).toMatchObject({ delaySeconds: 5, priority: 7, maxRetries: 3, retryBaseSeconds: 60 });
    expect(by.quality).toMatchObject({ delaySeconds: 10, priority: 5, maxRetries: 2 });
    expect(by["search-index"]).toMatchObject({ delaySeconds: 1, priority: 9, maxRetries: 3, retryBaseSeconds: 5 });
    expect(by["graph-edges"]).toMatchObject({ batchWindowSeconds: 30, priority: 5 });
    expect(by["cache-invalidation"]).toMatchObject({ delaySeconds: 0, priority: 9 });
    expect(by["profile-refresh"]).toMatchObject({ priority: 3, condition: { field: "profileRefreshDue", equals: true } });
    expect(by.classification).toMatchObject({ delaySeconds: 20, priority: 5, maxRetries: 2 });
    expect(by["author-normalization"]).toMatchObject({ delaySeconds: 60, priority: 3 });
  });

  it("gives more urgent tiers at least as much capacity", () => {
    for (let level = 2; level <= 10; level++) {
      const lower = capacityFor((level - 1) as 1);
      const higher = capacityFor(level as 1);
      expect(higher.lambdaMaxConcurrency).toBeGreaterThanOrEqual(lower.lambdaMaxConcurrency);
      expect(higher.localConcurrency).toBeGreaterThanOrEqual(lower.localConcurrency);
    }
    expect(capacityFor(9).lambdaMaxConcurrency).toBeGreaterThan(capacityFor(3).lambdaMaxConcurrency);
  });

  it("applies content conditions like an EventBridge rule", () => {
    const due = { userId: "u", resourceId: "r", interactionType: "view", interactionCount: 10, profileRefreshDue: true };
    expect(routesForEvent("user.interaction_tracked", due).map((r) => r.task)).toEqual(["profile-refresh"]);
    expect(routesForEvent("user.interaction_tracked", { ...due, profileRefreshDue: false })).toEqual([]);
    expect(matchesCondition({ field: "x", equals: true }, null)).toBe(false);
  });

  it("shortens timings only through overrides", () => {
    const fast = applyRouteOverrides(routes, instantTimings());
    expect(fast.every((r) => r.delaySeconds === 0 && r.batchWindowSeconds === 0)).toBe(true);
    expect(routes.find((r) => r.task === "embedding")?.delaySeconds).toBe(5);
  });
});

describe("schedule table", () => {
  it("converts to EventBridge Scheduler cron expressions", () => {
    const aws = Object.fromEntries(schedules.map((s) => [s.job, toAwsCron(s.cron)]));
    expect(aws["quality-degradation"]).toBe("cron(0 2 * * ? *)");
    expect(aws["quality-outliers"]).toBe("cron(0 3 ? * SUN *)");
    expect(aws["classifier-retraining"]).toBe("cron(0 0 1 * ? *)");
    expect(aws["cache-cleanup"]).toBe("cron(0 4 * * ? *)");
    expect(aws.reconciler).toBe("cron(0/5 * * * ? *)");
    expect(() => toAwsCron("* * *")).toThrow();
  });
});
