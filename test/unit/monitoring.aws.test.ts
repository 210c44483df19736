/**
 * The AWS side of monitoring. CloudWatch GetMetricData and ElastiCache
 * Describe* exist only on AWS, so they are replaced by boundary mocks (named
 * as such) that check the requests and answer like the service does.
 * Everything else is real: SQS is fauxqs through the AWS SDK (the AWS runtime
 * finds the queues by name, as it does against CDK's queues), Redis is real.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFauxqs } from "fauxqs";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { GetMetricDataCommand, type GetMetricDataCommandInput, type GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { DescribeReplicationGroupsCommand, DescribeServerlessCachesCommand } from "@aws-sdk/client-elasticache";
import { createSqsClient } from "@shared/adapters/sqs/sqsClient";
import { ensureQueues } from "@shared/adapters/sqs/queueTopology";
import { closeRedisClients } from "@shared/adapters/redis/redisClient";
import { instantTimings, applyRouteOverrides, routes as routeTable, queueName } from "@shared/events/routing";
import { capacityFor } from "@shared/events/priority";
import { cloudWatchOldestAges, lambdaFunctionHealth, taskFunctionName, type MetricDataClient } from "@shared/observability/cloudWatch";
import { describeCacheService, type ElastiCacheDescribeClient } from "@shared/observability/elastiCache";
import { awsRuntime } from "@shared/observability/awsRuntime";
import { cacheHealth, queueStatus, workerStatus } from "@shared/app/monitoring";
import type { AppContext } from "@shared/app/context";
import { sharedRedisUrl } from "../helpers/sharedRedis";

/** Boundary mock of CloudWatch GetMetricData: answers each query id from `values`, and records requests. */
function cloudWatchBoundaryMock(values: (input: GetMetricDataCommandInput, id: string) => number[] | undefined, pageSize = Infinity) {
  const requests: GetMetricDataCommandInput[] = [];
  const client: MetricDataClient = {
    send: (async (command: unknown) => {
      if (!(command instanceof GetMetricDataCommand)) throw new Error(`unexpected CloudWatch call ${String(command)}`);
      const input = command.input;
      requests.push(input);
      const queries = input.MetricDataQueries ?? [];
      const start = input.NextToken ? Number(input.NextToken) : 0;
      const page = queries.slice(start, start + pageSize);
      const out: GetMetricDataCommandOutput = {
        $metadata: {},
        MetricDataResults: page.map((q) => ({ Id: q.Id, StatusCode: "Complete", Values: values(input, q.Id!) ?? [], Timestamps: [] })),
        ...(start + pageSize < queries.length ? { NextToken: String(start + pageSize) } : {}),
      };
      return out;
    }) as MetricDataClient["send"],
  };
  return { client, requests };
}

/** Boundary mock of ElastiCache Describe*: a serverless cache and/or a replication group by name. */
function elastiCacheBoundaryMock(state: { serverless?: Record<string, unknown>; replicationGroup?: Record<string, unknown>; fail?: Error }) {
  const calls: string[] = [];
  const notFound = (name: string) => Object.assign(new Error(`${name} not found`), { name });
  const client: ElastiCacheDescribeClient = {
    send: (async (command: unknown) => {
      if (state.fail) throw state.fail;
      if (command instanceof DescribeServerlessCachesCommand) {
        calls.push(`serverless:${command.input.ServerlessCacheName}`);
        if (!state.serverless) throw notFound("ServerlessCacheNotFoundFault");
        return { ServerlessCaches: [state.serverless] };
      }
      if (command instanceof DescribeReplicationGroupsCommand) {
        calls.push(`replication-group:${command.input.ReplicationGroupId}`);
        if (!state.replicationGroup) throw notFound("ReplicationGroupNotFoundFault");
        return { ReplicationGroups: [state.replicationGroup] };
      }
      throw new Error("unexpected ElastiCache call");
    }) as ElastiCacheDescribeClient["send"],
  };
  return { client, calls };
}

const routes = applyRouteOverrides(routeTable, instantTimings());

describe("CloudWatch (boundary mock)", () => {
  it("reads the oldest-message age of each queue from ApproximateAgeOfOldestMessage", async () => {
    const queues = [
      { task: "ingestion" as const, url: "https://sqs/q/na-ingestion", name: "na-ingestion" },
      { task: "embedding" as const, url: "https://sqs/q/na-embedding", name: "na-embedding" },
    ];
    const cw = cloudWatchBoundaryMock((input, id) => (id === "q0" ? [42.4, 40] : undefined));
    const ages = await cloudWatchOldestAges(cw.client, queues, new Date("2026-01-01T00:10:00Z"));
    expect(ages.get("https://sqs/q/na-ingestion")).toEqual({ seconds: 42, source: "cloudwatch" });
    expect(ages.get("https://sqs/q/na-embedding")).toEqual({ seconds: null, source: "cloudwatch" });
    const [req] = cw.requests;
    expect(req!.ScanBy).toBe("TimestampDescending");
    expect(req!.StartTime).toEqual(new Date("2026-01-01T00:00:00Z"));
    expect(req!.MetricDataQueries![1]!.MetricStat).toMatchObject({
      Metric: { Namespace: "AWS/SQS", MetricName: "ApproximateAgeOfOldestMessage", Dimensions: [{ Name: "QueueName", Value: "na-embedding" }] },
      Stat: "Maximum",
      Period: 60,
    });
  });

  it("reads each task function's concurrency, invocations, errors and throttles, across result pages", async () => {
    const figures: Record<string, number> = { c0: 3, n0: 120, e0: 2, t0: 0, c1: 1, n1: 7, e1: 0 };
    const cw = cloudWatchBoundaryMock((_input, id) => (figures[id] === undefined ? undefined : [figures[id]!]), 5);
    const health = await lambdaFunctionHealth(cw.client, routes.slice(0, 2), "prod", 15);
    expect(cw.requests.length).toBe(2); // 8 queries, pages of 5
    expect(health[0]).toEqual({
      task: "ingestion",
      functionName: "prod-task-ingestion",
      windowMinutes: 15,
      concurrentExecutions: 3,
      invocations: 120,
      errors: 2,
      throttles: 0,
      maxConcurrency: capacityFor(routes[0]!.priority).lambdaMaxConcurrency,
    });
    expect(health[1]).toMatchObject({ task: "embedding", concurrentExecutions: 1, invocations: 7, errors: 0, throttles: 0 });
    const queries = cw.requests[0]!.MetricDataQueries!;
    expect(queries.map((q) => q.MetricStat!.Metric!.MetricName).slice(0, 4)).toEqual(["ConcurrentExecutions", "Invocations", "Errors", "Throttles"]);
    expect(queries[0]!.MetricStat).toMatchObject({ Stat: "Maximum", Period: 900, Metric: { Namespace: "AWS/Lambda", Dimensions: [{ Name: "FunctionName", Value: taskFunctionName("prod", "ingestion") }] } });
    expect(queries[2]!.MetricStat!.Stat).toBe("Sum");
  });
});

describe("ElastiCache (boundary mock)", () => {
  it("describes a serverless cache", async () => {
    const ec = elastiCacheBoundaryMock({
      serverless: { ServerlessCacheName: "na-cache", Status: "available", Engine: "valkey", FullEngineVersion: "8.0", Endpoint: { Address: "na-cache.serverless.use1.cache.amazonaws.com", Port: 6379 }, CacheUsageLimits: { DataStorage: { Maximum: 5, Unit: "GB" } } },
    });
    const s = await describeCacheService(ec.client, "na-cache");
    expect(s).toMatchObject({ name: "na-cache", kind: "serverless", status: "available", engine: "valkey", engineVersion: "8.0", endpoint: "na-cache.serverless.use1.cache.amazonaws.com:6379" });
    expect(s!.details.usageLimits).toEqual({ DataStorage: { Maximum: 5, Unit: "GB" } });
    expect(ec.calls).toEqual(["serverless:na-cache"]);
  });

  it("falls back to a replication group, and says null when neither exists", async () => {
    const group = elastiCacheBoundaryMock({ replicationGroup: { Status: "modifying", CacheNodeType: "cache.t4g.small", ClusterEnabled: true, ConfigurationEndpoint: { Address: "cfg.example", Port: 6380 }, NodeGroups: [{}, {}] } });
    expect(await describeCacheService(group.client, "na-rg")).toMatchObject({ kind: "replication-group", status: "modifying", endpoint: "cfg.example:6380", details: { nodeType: "cache.t4g.small", clusterEnabled: true, nodeGroups: 2 } });
    expect(group.calls).toEqual(["serverless:na-rg", "replication-group:na-rg"]);
    expect(await describeCacheService(elastiCacheBoundaryMock({}).client, "nothing")).toBeNull();
    await expect(describeCacheService(elastiCacheBoundaryMock({ fail: Object.assign(new Error("denied"), { name: "AccessDeniedException" }) }).client, "x")).rejects.toThrow("denied");
  });
});

describe("the AWS runtime against real SQS (fauxqs) and Redis", () => {
  let fauxqs: Awaited<ReturnType<typeof startFauxqs>>;
  const prefix = `aws${process.pid}${randomUUID().slice(0, 6)}`;
  beforeAll(async () => {
    fauxqs = await startFauxqs({ port: 0, logger: false, host: "localhost" });
    // What CDK creates on AWS; the runtime only looks them up by name.
    await ensureQueues(createSqsClient({ endpoint: fauxqs.address, region: "us-east-1" }), routes, prefix);
  });
  afterAll(async () => {
    await closeRedisClients();
    await fauxqs?.stop();
  });

  function appWith(runtime: ReturnType<typeof awsRuntime>): AppContext {
    // Only what these use cases read; the rest of the app plays no part in them.
    return { config: { taskMode: "queued", redisUrl: sharedRedisUrl(), redisCluster: false, queuePrefix: prefix, redisPrefix: `${prefix}:` }, routes, runtime } as unknown as AppContext;
  }

  it("gives queue figures from SQS attributes and the oldest age from CloudWatch", async () => {
    const sqs = createSqsClient({ endpoint: fauxqs.address, region: "us-east-1" });
    const cw = cloudWatchBoundaryMock((input, id) => {
      const q = input.MetricDataQueries!.find((x) => x.Id === id)!;
      return q.MetricStat!.Metric!.Dimensions![0]!.Value === queueName("ingestion", prefix) ? [17] : [0];
    });
    const runtime = awsRuntime({ awsRegion: "us-east-1", queuePrefix: prefix, redisUrl: undefined, redisCluster: false }, routes, { sqs, cloudWatch: cw.client, elastiCache: elastiCacheBoundaryMock({}).client, elastiCacheName: undefined });
    const app = appWith(runtime);

    const before = (await queueStatus(app)).items.find((q) => q.task === "ingestion")!;
    const topology = await runtime.topology();
    await sqs.send(new SendMessageCommand({ QueueUrl: topology.get("ingestion")!.queueUrl, MessageBody: "{}" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: topology.get("ingestion")!.dlqUrl, MessageBody: "{}" }));
    const status = await queueStatus(app);
    expect(status.runtime).toBe("aws");
    const after = status.items.find((q) => q.task === "ingestion")!;
    expect(after.visible).toBe(before.visible! + 1);
    expect(after.dlqDepth).toBe(before.dlqDepth! + 1);
    expect(after).toMatchObject({ queue: queueName("ingestion", prefix), oldestMessageAgeSeconds: 17, oldestMessageAgeSource: "cloudwatch" });
    expect(status.items.length).toBe(routes.length);
  });

  it("gives task function health on /monitoring/workers and ElastiCache's view on /monitoring/cache/health", async () => {
    const cw = cloudWatchBoundaryMock((_input, id) => (id.startsWith("e") ? [1] : [4]));
    const ec = elastiCacheBoundaryMock({ serverless: { Status: "available", Engine: "valkey", MajorEngineVersion: "8", Endpoint: { Address: "cache.example", Port: 6379 } } });
    const runtime = awsRuntime({ awsRegion: "us-east-1", queuePrefix: prefix, redisUrl: sharedRedisUrl(), redisCluster: false }, routes, {
      sqs: createSqsClient({ endpoint: fauxqs.address, region: "us-east-1" }),
      cloudWatch: cw.client,
      elastiCache: ec.client,
      elastiCacheName: "na-cache",
    });
    const app = appWith(runtime);

    const workers = await workerStatus(app);
    expect(workers.runtime).toBe("aws");
    expect(workers.pollers).toBeUndefined();
    expect(workers.functions!.map((f) => f.functionName)).toEqual(routes.map((r) => `${prefix}-task-${r.task}`));
    expect(workers.functions!.every((f) => f.errors === 1 && f.concurrentExecutions === 4)).toBe(true);

    const health = await cacheHealth(app);
    expect(health).toMatchObject({ configured: true, reachable: true, connection: "ready", service: { name: "na-cache", kind: "serverless", status: "available", endpoint: "cache.example:6379" } });
    expect(ec.calls).toEqual(["serverless:na-cache"]);

    // CloudWatch refusing (no permission): workers still answer, with the reason.
    const denied = awsRuntime({ awsRegion: "us-east-1", queuePrefix: prefix, redisUrl: undefined, redisCluster: false }, routes, {
      sqs: createSqsClient({ endpoint: fauxqs.address, region: "us-east-1" }),
      cloudWatch: { send: (async () => Promise.reject(new Error("AccessDenied"))) as MetricDataClient["send"] },
      elastiCache: ec.client,
    });
    expect(await workerStatus(appWith(denied))).toMatchObject({ runtime: "aws", error: "AccessDenied" });
  });
});
