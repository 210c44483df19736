/** Pure helpers of the infrastructure: alarm thresholds and event patterns from a route. */
import { describe, expect, it } from "vitest";
import { oldestMessageAgeThresholdSeconds } from "@infra/lib/alarm-thresholds";
import { eventPatternFor } from "@infra/lib/event-pattern";
import { EVENT_SOURCE, Events } from "@shared/events/catalogue";
import { routeFor, type Route } from "@shared/events/routing";

const base: Route = {
  task: "author-normalization",
  events: [Events.authors.extracted],
  priority: 3,
  delaySeconds: 60,
  batchSize: 10,
  batchWindowSeconds: 0,
  maxRetries: 2,
  retryBaseSeconds: 30,
  timeoutSeconds: 30,
  memoryMb: 256,
  description: "test route",
};

describe("oldestMessageAgeThresholdSeconds", () => {
  it("adds delay, window, every attempt's timeout, the backoff series and the slack", () => {
    // 60 delay + 0 window + 3 attempts x 30 s + (30 + 60) backoff + 300 slack
    expect(oldestMessageAgeThresholdSeconds(base)).toBe(60 + 0 + 90 + 90 + 300);
  });

  it("grows with the delay, the window and the retry budget", () => {
    const t = oldestMessageAgeThresholdSeconds(base);
    expect(oldestMessageAgeThresholdSeconds({ ...base, delaySeconds: 120 })).toBe(t + 60);
    expect(oldestMessageAgeThresholdSeconds({ ...base, batchWindowSeconds: 30 })).toBe(t + 30);
    // a third retry adds one timeout and a 120 s backoff step
    expect(oldestMessageAgeThresholdSeconds({ ...base, maxRetries: 3 })).toBe(t + 30 + 120);
  });
});

describe("eventPatternFor", () => {
  it("matches the source and the route's event names, with no content filter when there is no condition", () => {
    expect(eventPatternFor(base)).toEqual({ source: [EVENT_SOURCE], detailType: [Events.authors.extracted] });
  });

  it("turns a route condition into a filter on detail.<field>", () => {
    const route = routeFor("profile-refresh");
    const condition = route.condition;
    if (!condition) throw new Error("profile-refresh is expected to carry a condition");
    const pattern = eventPatternFor(route);
    expect(pattern.detail).toEqual({ [condition.field]: [condition.equals] });
    expect(pattern.detailType).toEqual([...route.events]);
  });
});
