/**
 * The whole deployment: network and cache, bus and one TaskRoute per route of
 * the routing table, the HTTP API, the schedules, and what watches them. The
 * routing and schedule tables are the input; nothing here retypes an event or
 * task name.
 */
import { CfnOutput, Stack, Validations, type StackProps } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { routes as routingTable, type Route } from "@shared/events/routing";
import { schedules as scheduleTable, type Schedule } from "@shared/events/schedules";
import { oldestMessageAgeThresholdSeconds } from "./alarm-thresholds";
import type { InfraConfig } from "./config";
import { Alarms } from "./constructs/alarms";
import { Api } from "./constructs/api";
import { Cache } from "./constructs/cache";
import { OperationsDashboard } from "./constructs/dashboard";
import { Messaging } from "./constructs/messaging";
import type { MonitoredFunction, MonitoredQueue } from "./constructs/metrics";
import { Network } from "./constructs/network";
import { allowEmbeddingModel } from "./constructs/permissions";
import { Scheduling } from "./constructs/scheduling";
import { Secrets } from "./constructs/secrets";
import { TaskRoute } from "./constructs/task-route";
import { sharedEnvironment } from "./function-environment";

export interface NeoAlexandriaStackProps extends StackProps {
  config: InfraConfig;
  /** Defaults to the real tables; tests pass altered tables to prove the infra follows them. */
  routes?: readonly Route[];
  schedules?: readonly Schedule[];
}

export class NeoAlexandriaStack extends Stack {
  readonly taskRoutes: TaskRoute[];
  readonly api: Api;
  readonly scheduling: Scheduling;
  readonly cache: Cache;
  readonly messaging: Messaging;

  constructor(scope: Construct, id: string, props: NeoAlexandriaStackProps) {
    super(scope, id, props);
    const { config } = props;
    const { prefix } = config;

    const network = new Network(this, "Network", { natGateways: config.natGateways });
    this.cache = new Cache(this, "Cache", { name: `${prefix}-cache`, network });
    const secrets = new Secrets(this, "Secrets", { prefix, libsqlSecretArn: config.libsqlSecretArn });
    this.messaging = new Messaging(this, "Messaging", { prefix });
    const { bus } = this.messaging;

    const environment = sharedEnvironment({
      prefix,
      eventBusName: bus.eventBusName,
      libsqlSecretArn: secrets.libsql.secretArn,
      redisUrl: this.cache.url,
    });

    this.taskRoutes = (props.routes ?? routingTable).map(
      (route) =>
        new TaskRoute(this, `Route-${route.task}`, {
          route,
          prefix,
          bus,
          deliveryDlq: this.messaging.deliveryDlq,
          network,
          libsqlSecret: secrets.libsql,
          environment,
        }),
    );

    this.api = new Api(this, "Api", {
      prefix,
      network,
      environment: { ...environment, ELASTICACHE_NAME: this.cache.name },
      apiKeySecret: secrets.apiKey,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      ...(config.jwtIssuer && config.jwtAudience ? { jwt: { issuer: config.jwtIssuer, audience: config.jwtAudience } } : {}),
    });
    this.grantApiOperations(secrets.libsql);

    this.scheduling = new Scheduling(this, "Scheduling", { prefix, network, environment, table: props.schedules ?? scheduleTable });
    this.grantJobOperations(secrets.libsql);

    const queues: MonitoredQueue[] = this.taskRoutes.map((t) => ({
      label: t.route.task,
      queueName: t.queueName,
      ageAlarmSeconds: oldestMessageAgeThresholdSeconds(t.route),
    }));
    const queueNamed = (label: string, queueName: string): MonitoredQueue => ({ label, queueName });
    const deadLetterQueues: MonitoredQueue[] = [
      ...this.taskRoutes.map((t) => queueNamed(`${t.route.task}-dlq`, t.dlqName)),
      queueNamed("bus-delivery-dlq", this.messaging.deliveryDlqName),
      queueNamed("scheduler-dlq", this.scheduling.dlqName),
    ];
    const functions: MonitoredFunction[] = [
      ...this.taskRoutes.map((t) => ({ label: t.route.task, functionName: t.consumer.functionName })),
      { label: "api", functionName: this.api.handler.functionName },
      { label: "authorizer", functionName: this.api.authorizer.functionName },
      { label: "jobs", functionName: this.scheduling.jobs.functionName },
    ];
    new OperationsDashboard(this, "Dashboard", {
      dashboardName: prefix,
      queues,
      deadLetterQueues,
      functions,
      eventBusName: bus.eventBusName,
      cacheName: this.cache.name,
    });
    new Alarms(this, "Alarms", { prefix, queues, deadLetterQueues, functions, alarmEmail: config.alarmEmail });

    new CfnOutput(this, "ApiUrl", { value: this.api.httpApi.apiEndpoint });
    new CfnOutput(this, "EventBusName", { value: bus.eventBusName });
    new CfnOutput(this, "LibsqlSecretArn", { value: secrets.libsql.secretArn });
    new CfnOutput(this, "ApiKeySecretArn", { value: secrets.apiKey.secretArn });
    new CfnOutput(this, "CacheEndpoint", { value: this.cache.url });
  }

  /**
   * The API serves the library and the monitoring endpoints: it reads queue
   * attributes of every queue, lists dead letters (receive, then
   * ChangeMessageVisibility 0 to put them back) and replays them (send on the
   * source queue, delete from the DLQ), besides publishing events and reading
   * the libSQL secret like any function.
   */
  private grantApiOperations(libsql: Secrets["libsql"]): void {
    const fn = this.api.handler.fn;
    this.messaging.bus.grantPutEventsTo(fn);
    libsql.grantRead(fn);
    // Hybrid search embeds the query text with the same model as the documents.
    allowEmbeddingModel(fn);
    for (const t of this.taskRoutes) {
      t.queue.grant(fn, "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage");
      t.dlq.grant(fn, "sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage");
    }
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["elasticache:DescribeServerlessCaches"], resources: [this.cache.arn] }));
    // Worker health (requirement 11.5): concurrent executions per function come from CloudWatch.
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ["cloudwatch:GetMetricData"], resources: ["*"] }));
    Validations.of(this.api.handler.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason: "cloudwatch:GetMetricData supports no resource-level permissions; it is read-only and needed for worker health.",
    });
  }

  /**
   * Jobs work on the store and publish events (the reconciler and the outbox
   * sweep re-trigger work through the bus, never by writing to queues).
   */
  private grantJobOperations(libsql: Secrets["libsql"]): void {
    const fn = this.scheduling.jobs.fn;
    this.messaging.bus.grantPutEventsTo(fn);
    libsql.grantRead(fn);
  }
}
