/**
 * Everything around the routes: runtimes, least privilege of each function,
 * the HTTP API and its authorizer, the cache and network, the dashboard and
 * the alarms. Expectations are generated from the routing table where the
 * template should follow it.
 */
import { Match } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { oldestMessageAgeThresholdSeconds } from "@infra/lib/alarm-thresholds";
import { DEFAULT_CONFIG, EMBEDDING_MODEL_ID, METRICS_NAMESPACE } from "@infra/lib/config";
import { dlqName, queueName, routes } from "@shared/events/routing";
import { accessOf, PUBLIC_ROUTES, USER_ROUTES } from "@shared/security/routePolicy";
import { apiRoutes } from "@functions/http/routeList";
import {
  asArray,
  onlyLogicalId,
  referencedResources,
  resourcesOfType,
  statementsOfRole,
  type Statement,
  type SynthContext,
} from "./synth";

/** Declares the checks; `ctx.synth` is filled by the beforeAll of stack.test.ts. */
export function describePlatform(ctx: SynthContext): void {
  const prefix = DEFAULT_CONFIG.prefix;

  const functions = () => resourcesOfType(ctx.synth.template, "AWS::Lambda::Function");
  const fnIdByName = (name: string) => onlyLogicalId(ctx.synth.template, "AWS::Lambda::Function", { FunctionName: name });
  const roleOf = (fnId: string) => {
    const role = functions()[fnId]?.Properties?.Role as { "Fn::GetAtt": [string, string] };
    return role["Fn::GetAtt"][0];
  };
  const actionsOf = (statements: Statement[]) => new Set(statements.flatMap((s) => asArray(s.Action)));

  describe("runtimes", () => {
    it("runs every Lambda function on Node.js 22 or newer (ours on nodejs24.x, arm64)", () => {
      const all = Object.entries(functions());
      expect(all.length).toBeGreaterThanOrEqual(routes.length + 3);
      for (const [id, fn] of all) {
        const runtime = String(fn.Properties?.Runtime);
        const major = Number(/^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? 0);
        expect(major, `${id} runs ${runtime}`).toBeGreaterThanOrEqual(22);
        expect(fn.Properties?.Architectures, id).toEqual(["arm64"]);
      }
    });
  });

  describe("least privilege", () => {
    it.each(routes.map((r) => [r.task, r] as const))("consumer %s touches only its queue, its DLQ, the bus, the libSQL secret and its logs", (task) => {
      const fnId = onlyLogicalId(ctx.synth.template, "AWS::Lambda::Function", {
        Environment: { Variables: Match.objectLike({ TASK_NAME: task }) },
      });
      const statements = statementsOfRole(ctx.synth.template, roleOf(fnId));
      const queueId = onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: queueName(task, prefix) });
      const dlqId = onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: dlqName(task, prefix) });
      const busId = Object.keys(resourcesOfType(ctx.synth.template, "AWS::Events::EventBus"))[0];
      const libsqlId = onlyLogicalId(ctx.synth.template, "AWS::SecretsManager::Secret", { Name: `${prefix}/libsql` });
      const logGroup = functions()[fnId]?.Properties?.LoggingConfig as { LogGroup: { Ref: string } };
      const allowed = new Set([queueId, dlqId, busId, libsqlId, logGroup.LogGroup.Ref]);

      for (const statement of statements) {
        const { logicalIds, literals } = referencedResources(statement.Resource);
        expect(literals, `literal resources in ${JSON.stringify(statement)}`).toEqual([]);
        const isBedrock = asArray(statement.Action).every((a) => a === "bedrock:InvokeModel");
        if (isBedrock) {
          expect(task).toBe("embedding");
          expect(JSON.stringify(statement.Resource)).toContain(`foundation-model/${EMBEDDING_MODEL_ID}`);
          continue;
        }
        for (const id of logicalIds) expect(allowed.has(id), `${task} may not reach ${id}`).toBe(true);
      }

      const actions = actionsOf(statements);
      for (const needed of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:SendMessage", "events:PutEvents", "secretsmanager:GetSecretValue"]) {
        expect(actions.has(needed), `${task} needs ${needed}`).toBe(true);
      }
      expect(actions.has("bedrock:InvokeModel")).toBe(task === "embedding");
      // SendMessage only to its own DLQ (permanent failures), never to a source queue.
      const sends = statements.filter((s) => asArray(s.Action).includes("sqs:SendMessage"));
      for (const s of sends) expect([...referencedResources(s.Resource).logicalIds]).toEqual([dlqId]);
    });

    it("lets the API list and replay dead letters: receive/release/delete on DLQs, send on source queues, nothing more", () => {
      const statements = statementsOfRole(ctx.synth.template, roleOf(fnIdByName(`${prefix}-api`)));
      const sourceIds = new Set(routes.map((r) => onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: queueName(r.task, prefix) })));
      const dlqIds = new Set(routes.map((r) => onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: dlqName(r.task, prefix) })));
      const sqsTargets = (action: string) =>
        new Set(statements.filter((s) => asArray(s.Action).includes(action)).flatMap((s) => [...referencedResources(s.Resource).logicalIds]));
      expect(sqsTargets("sqs:ReceiveMessage")).toEqual(dlqIds);
      expect(sqsTargets("sqs:DeleteMessage")).toEqual(dlqIds);
      expect(sqsTargets("sqs:ChangeMessageVisibility")).toEqual(dlqIds);
      expect(sqsTargets("sqs:SendMessage")).toEqual(sourceIds);
      expect(sqsTargets("sqs:GetQueueAttributes")).toEqual(new Set([...sourceIds, ...dlqIds]));
      const actions = actionsOf(statements);
      for (const needed of ["events:PutEvents", "secretsmanager:GetSecretValue", "elasticache:DescribeServerlessCaches"]) {
        expect(actions.has(needed), needed).toBe(true);
      }
      // The only wildcard resource is the read-only metrics call that supports no resource scoping.
      const wildcard = statements.filter((s) => referencedResources(s.Resource).literals.includes("*"));
      expect(wildcard.flatMap((s) => asArray(s.Action))).toEqual(["cloudwatch:GetMetricData"]);
    });

    it("lets the jobs function publish events and read the libSQL secret; its only queue right is its failure DLQ", () => {
      const fnId = fnIdByName(`${prefix}-jobs`);
      const statements = statementsOfRole(ctx.synth.template, roleOf(fnId));
      const schedulerDlq = onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: `${prefix}-scheduler-dlq` });
      const actions = actionsOf(statements);
      expect(actions.has("events:PutEvents")).toBe(true);
      expect(actions.has("secretsmanager:GetSecretValue")).toBe(true);
      for (const s of statements.filter((st) => asArray(st.Action).some((a) => a.startsWith("sqs:")))) {
        expect([...referencedResources(s.Resource).logicalIds]).toEqual([schedulerDlq]);
      }
      for (const s of statements) expect(referencedResources(s.Resource).literals).toEqual([]);
    });

    it("lets the authorizer read the API key secret and nothing else", () => {
      const fnId = fnIdByName(`${prefix}-authorizer`);
      const statements = statementsOfRole(ctx.synth.template, roleOf(fnId));
      const secretId = onlyLogicalId(ctx.synth.template, "AWS::SecretsManager::Secret", { Name: `${prefix}/api-key` });
      const logGroup = functions()[fnId]?.Properties?.LoggingConfig as { LogGroup: { Ref: string } };
      for (const s of statements) {
        const { logicalIds, literals } = referencedResources(s.Resource);
        expect(literals).toEqual([]);
        for (const id of logicalIds) expect([secretId, logGroup.LogGroup.Ref]).toContain(id);
      }
      expect(functions()[fnId]?.Properties?.VpcConfig).toBeUndefined();
    });

    it("uses no AWS managed policy except the VPC ENI policy", () => {
      for (const [id, role] of Object.entries(resourcesOfType(ctx.synth.template, "AWS::IAM::Role"))) {
        for (const arn of (role.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
          expect(JSON.stringify(arn), id).toMatch(/:iam::aws:policy\/service-role\/AWSLambdaVPCAccessExecutionRole"/);
        }
      }
    });
  });

  describe("environment", () => {
    const required = [
      "EVENT_BUS_NAME",
      "QUEUE_PREFIX",
      "LIBSQL_SECRET_ARN",
      "REDIS_URL",
      "REDIS_CLUSTER",
      "EMBEDDER",
      "BEDROCK_MODEL_ID",
      "RUNTIME",
      "POWERTOOLS_SERVICE_NAME",
      "POWERTOOLS_METRICS_NAMESPACE",
      "ALLOW_FILE_URLS",
    ];

    it("gives the API, the jobs and every consumer the shared settings", () => {
      const names = [`${prefix}-api`, `${prefix}-jobs`, ...routes.map((r) => `${prefix}-task-${r.task}`)];
      for (const name of names) {
        const vars = functions()[fnIdByName(name)]?.Properties?.Environment as { Variables: Record<string, unknown> };
        for (const key of required) expect(vars.Variables, `${name} lacks ${key}`).toHaveProperty(key);
        expect(vars.Variables).toMatchObject({
          QUEUE_PREFIX: prefix,
          REDIS_CLUSTER: "true",
          EMBEDDER: "bedrock",
          BEDROCK_MODEL_ID: EMBEDDING_MODEL_ID,
          RUNTIME: "aws",
          POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
          ALLOW_FILE_URLS: "false",
        });
        expect(JSON.stringify(vars.Variables.REDIS_URL)).toContain("rediss://");
      }
      const api = functions()[fnIdByName(`${prefix}-api`)]?.Properties?.Environment as { Variables: Record<string, unknown> };
      expect(api.Variables.ELASTICACHE_NAME).toBe(`${prefix}-cache`);
    });
  });

  describe("HTTP API", () => {
    it("is an HTTP API with a simple-response Lambda authorizer on x-api-key", () => {
      ctx.synth.template.resourceCountIs("AWS::ApiGatewayV2::Api", 1);
      ctx.synth.template.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
      ctx.synth.template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
        AuthorizerType: "REQUEST",
        EnableSimpleResponses: true,
        IdentitySource: ["$request.header.x-api-key"],
        AuthorizerPayloadFormatVersion: "2.0",
      });
    });

    it("protects every route except the public ones of the shared route policy (GET /health, GET /openapi.json)", () => {
      const found = Object.values(resourcesOfType(ctx.synth.template, "AWS::ApiGatewayV2::Route")).map((r) => r.Properties ?? {});
      const open = found.filter((r) => r.AuthorizationType === "NONE").map((r) => r.RouteKey);
      expect(open.sort()).toEqual(PUBLIC_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
      expect(open.sort()).toEqual(["GET /health", "GET /openapi.json"]);
      // The local server reads the same list: what is public there is public here, and nothing else.
      expect(apiRoutes.filter((r) => accessOf(r) === "public").map((r) => `${r.method} ${r.path}`).sort()).toEqual(open.sort());
      // Per-user routes are routes of their own; without an OIDC issuer they sit behind the API key.
      const keys = found.map((r) => r.RouteKey);
      for (const r of USER_ROUTES) expect(keys).toContain(`${r.method} ${r.path}`);
      const guarded = found.filter((r) => r.AuthorizationType !== "NONE");
      expect(guarded.map((r) => r.RouteKey)).toContain("ANY /{proxy+}");
      for (const r of guarded) {
        expect(r.AuthorizationType).toBe("CUSTOM");
        expect(r.AuthorizerId).toBeDefined();
      }
    });

    it("logs access and throttles on the default stage", () => {
      ctx.synth.template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
        StageName: "$default",
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("requestId") },
        DefaultRouteSettings: { ThrottlingRateLimit: DEFAULT_CONFIG.apiRateLimit, ThrottlingBurstLimit: DEFAULT_CONFIG.apiBurstLimit },
      });
    });
  });

  describe("cache and network", () => {
    it("runs Valkey serverless in isolated subnets behind a security group open to the functions only", () => {
      ctx.synth.template.resourceCountIs("AWS::ElastiCache::ServerlessCache", 1);
      const cache = Object.values(resourcesOfType(ctx.synth.template, "AWS::ElastiCache::ServerlessCache"))[0]?.Properties ?? {};
      expect(cache).toMatchObject({ Engine: "valkey", ServerlessCacheName: `${prefix}-cache` });
      const subnets = (cache.SubnetIds as Array<{ Ref: string }>).map((s) => s.Ref);
      expect(subnets).toHaveLength(2);
      for (const s of subnets) expect(s).toMatch(/data/i);

      const ingress = Object.values(resourcesOfType(ctx.synth.template, "AWS::EC2::SecurityGroupIngress")).map((r) => r.Properties ?? {});
      expect(ingress).toHaveLength(1);
      expect(ingress[0]).toMatchObject({ IpProtocol: "tcp", FromPort: 6379, ToPort: 6380, SourceSecurityGroupId: expect.anything() });
      expect(ingress[0]?.CidrIp).toBeUndefined();
    });

    it("puts every function that uses the cache in the VPC, and logs rejected flows", () => {
      for (const name of [`${prefix}-api`, `${prefix}-jobs`, ...routes.map((r) => `${prefix}-task-${r.task}`)]) {
        expect(functions()[fnIdByName(name)]?.Properties?.VpcConfig, name).toBeDefined();
      }
      ctx.synth.template.hasResourceProperties("AWS::EC2::FlowLog", { ResourceType: "VPC", TrafficType: "REJECT" });
    });
  });

  describe("observability", () => {
    /** The dashboard body as JSON text, with CloudFormation tokens replaced by a marker. */
    const dashboardBody = () => {
      const dashboards = Object.values(resourcesOfType(ctx.synth.template, "AWS::CloudWatch::Dashboard"));
      expect(dashboards).toHaveLength(1);
      const body = dashboards[0]?.Properties?.DashboardBody as { "Fn::Join": [string, unknown[]] };
      const text = body["Fn::Join"][1].map((part) => (typeof part === "string" ? part : "TOKEN")).join("");
      return JSON.stringify(JSON.parse(text));
    };

    it("charts every queue (depth, oldest age, in flight), every DLQ and every function", () => {
      const body = dashboardBody();
      for (const metric of ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "ApproximateNumberOfMessagesNotVisible"]) {
        expect(body).toContain(metric);
      }
      for (const r of routes) {
        expect(body).toContain(`"${queueName(r.task, prefix)}"`);
        expect(body).toContain(`"${dlqName(r.task, prefix)}"`);
        expect(body).toContain(`"${prefix}-task-${r.task}"`);
      }
      for (const metric of ["Invocations", "Errors", "Throttles", "ConcurrentExecutions", "p50", "p99"]) expect(body).toContain(metric);
    });

    it("charts the custom task, cache and event metrics of the NeoAlexandria namespace", () => {
      const body = dashboardBody();
      for (const metric of ["TaskSucceeded", "TaskFailed", "TaskRetried", "CacheHits", "CacheMisses", "EventsPublished"]) {
        expect(body).toContain(`Namespace=\\"${METRICS_NAMESPACE}\\" MetricName=\\"${metric}\\"`);
      }
    });

    const alarms = () => Object.values(resourcesOfType(ctx.synth.template, "AWS::CloudWatch::Alarm")).map((a) => a.Properties ?? {});

    it("alarms when any dead-letter queue holds a message", () => {
      const dlqs = [...routes.map((r) => dlqName(r.task, prefix)), `${prefix}-bus-delivery-dlq`, `${prefix}-scheduler-dlq`];
      for (const name of dlqs) {
        const match = alarms().filter(
          (a) =>
            a.MetricName === "ApproximateNumberOfMessagesVisible" &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: "QueueName", Value: name }]),
        );
        expect(match, name).toHaveLength(1);
        expect(match[0]).toMatchObject({ Threshold: 0, ComparisonOperator: "GreaterThanThreshold", AlarmActions: [expect.anything()] });
      }
    });

    it("alarms when a queue's oldest message is older than the route allows", () => {
      for (const r of routes) {
        const match = alarms().filter(
          (a) =>
            a.MetricName === "ApproximateAgeOfOldestMessage" &&
            JSON.stringify(a.Dimensions) === JSON.stringify([{ Name: "QueueName", Value: queueName(r.task, prefix) }]),
        );
        expect(match, r.task).toHaveLength(1);
        expect(match[0]?.Threshold).toBe(oldestMessageAgeThresholdSeconds(r));
      }
    });

    it("alarms on the error rate of every function", () => {
      const names = [`${prefix}-api`, `${prefix}-authorizer`, `${prefix}-jobs`, ...routes.map((r) => `${prefix}-task-${r.task}`)];
      for (const name of names) {
        const match = alarms().filter((a) => {
          const metrics = JSON.stringify(a.Metrics ?? []);
          return metrics.includes('"Errors"') && metrics.includes(`"${name}"`);
        });
        expect(match, name).toHaveLength(1);
      }
    });
  });
}
