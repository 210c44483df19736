/**
 * Degraded modes are counted where they happen and reach the metrics: a
 * coarse search-cache invalidation, a cache operation without Redis, a
 * throttled embedder. On AWS they leave as the EMF metric `Degraded` with
 * exactly the dimensions the CDK alarms address (service, Mode).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createServer, type Server } from "node:net";
import type { AddressInfo } from "node:net";
import { FtsTerms } from "@shared/adapters/libsql/ftsTerms";
import { closeRedisClient, newRedisClient } from "@shared/adapters/redis/redisClient";
import { changedTermTags } from "@shared/app/searchInvalidation";
import { SearchTags } from "@shared/app/searchCaching";
import { TwoLayerCache } from "@shared/cache/twoLayerCache";
import { TransientError } from "@shared/errors";
import { degradedTotals, DegradedModes, onDegraded, reportDegraded, type DegradedMode } from "@shared/observability/degradation";
import { reportingThrottling } from "@shared/observability/embedderThrottling";
import { flushDegraded, lambdaMetrics } from "@shared/observability/emfMetrics";
import { METRICS_NAMESPACE, SERVICE_NAME } from "@infra/lib/config";
import { degradedMetric } from "@infra/lib/constructs/metrics";

const counted = (mode: DegradedMode) => degradedTotals()[mode];

describe("where the system degrades, it counts", () => {
  it("search invalidation falling back to coarse tags (term extraction failed)", async () => {
    const before = counted(DegradedModes.coarseSearchInvalidation);
    const broken = new FtsTerms({ batch: () => Promise.reject(new Error("URL_SCHEME_NOT_SUPPORTED")) });
    expect(await changedTermTags(broken, [""], ["lighthouse keepers"])).toEqual([SearchTags.text]);
    expect(counted(DegradedModes.coarseSearchInvalidation)).toBe(before + 1);
  });

  it("a cache read and an invalidation that could not use Redis", async () => {
    // A port that accepts and closes connections: Redis is "there" but never usable.
    const server: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `redis://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bypassed: string[] = [];
    const redis = newRedisClient({ url, onError: () => undefined });
    const cache = new TwoLayerCache({ redis, firstConnectWaitMs: 50, invalidateConnectWaitMs: 50, onBypass: (op) => bypassed.push(op) });
    try {
      expect(await cache.getOrLoad("resource", "r1", async () => "fresh")).toBe("fresh");
      await expect(cache.invalidate({ tags: ["resource:r1"] })).rejects.toThrow(/unreachable/);
      expect(bypassed).toEqual(expect.arrayContaining(["get", "invalidate"]));
    } finally {
      await cache.close();
      await closeRedisClient(redis);
      server.close();
    }
  });

  it("a throttled embedder (the error still propagates, so the task retries)", async () => {
    const before = counted(DegradedModes.embedderThrottled);
    const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
    const failing = reportingThrottling({ id: "t", dimensions: 2, embed: () => Promise.reject(new TransientError("Bedrock ThrottlingException", { cause: throttled })) });
    await expect(failing.embed(["x"])).rejects.toThrow(TransientError);
    expect(counted(DegradedModes.embedderThrottled)).toBe(before + 1);
    const otherwise = reportingThrottling({ id: "t", dimensions: 2, embed: () => Promise.reject(new Error("ValidationException")) });
    await expect(otherwise.embed(["x"])).rejects.toThrow();
    expect(counted(DegradedModes.embedderThrottled)).toBe(before + 1);
    expect(failing.id).toBe("t");
  });

  it("tells subscribers, and a failing subscriber changes nothing", () => {
    const seen: string[] = [];
    const stopBroken = onDegraded(() => {
      throw new Error("sink down");
    });
    const stop = onDegraded((mode) => seen.push(mode));
    const before = counted(DegradedModes.redisUnavailable);
    reportDegraded(DegradedModes.redisUnavailable, "test");
    expect(seen).toEqual([DegradedModes.redisUnavailable]);
    expect(counted(DegradedModes.redisUnavailable)).toBe(before + 1);
    stop();
    stopBroken();
  });
});

describe("on AWS: EMF `Degraded`, per invocation, with the dimensions the alarms use", () => {
  let lines: Array<Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> } }>;
  let restore: () => void;
  beforeEach(() => {
    lines = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      for (const line of String(chunk).split("\n")) if (line.includes('"_aws"')) lines.push(JSON.parse(line) as (typeof lines)[number]);
      return true;
    });
    restore = () => spy.mockRestore();
  });
  afterEach(() => restore());

  it("one line per mode that occurred, summed, dimensions service + Mode only", () => {
    vi.stubEnv("TASK_NAME", "embedding");
    lambdaMetrics(); // subscribes the container's sink (as every handler module does at import)
    vi.unstubAllEnvs();
    flushDegraded(); // drop what earlier tests counted
    lines = [];
    reportDegraded(DegradedModes.embedderThrottled, "test");
    reportDegraded(DegradedModes.embedderThrottled, "test");
    reportDegraded(DegradedModes.coarseSearchInvalidation, "test");
    flushDegraded();
    expect(lines).toHaveLength(2);
    const byMode = Object.fromEntries(lines.map((l) => [String(l.Mode), l]));
    expect(byMode[DegradedModes.embedderThrottled]).toMatchObject({ Degraded: 2, service: SERVICE_NAME });
    expect(byMode[DegradedModes.coarseSearchInvalidation]).toMatchObject({ Degraded: 1 });
    for (const line of lines) {
      const [directive] = line._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
      expect(directive?.Dimensions).toEqual([["service", "Mode"]]);
      expect(line).not.toHaveProperty("Task");
      // The alarm's metric names exactly this series.
      const metric = degradedMetric(line.Mode as DegradedMode, "alarm");
      expect(metric.dimensions).toEqual({ service: line.service, Mode: line.Mode });
      expect(metric.namespace).toBe(directive?.Namespace);
    }
    flushDegraded();
    expect(lines).toHaveLength(2); // nothing pending: nothing printed
  });
});
