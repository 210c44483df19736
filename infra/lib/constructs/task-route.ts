/**
 * One route of the routing table as infrastructure: the rule that matches its
 * events on the bus, its queue (delay = debounce window) with a dead-letter
 * queue, and the consumer function fed by an event source mapping that honours
 * the route's batching, partial failures and priority tier.
 */
import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { capacityFor } from "@shared/events/priority";
import { dlqName, queueName, type Route } from "@shared/events/routing";
import { eventPatternFor } from "../event-pattern";
import { entries } from "../paths";
import { capabilitiesOf } from "../task-capabilities";
import { AppFunction, LAZY_MODULES } from "./app-function";
import type { Network } from "./network";
import { allowEmbeddingModel } from "./permissions";
import { deadLetterQueue } from "./queues";
import { taskQueueSettings } from "@shared/adapters/sqs/queueAttributes";

/** How long EventBridge keeps retrying delivery to a queue before the event goes to the delivery DLQ. */
export const TARGET_MAX_EVENT_AGE = Duration.hours(2);
export const TARGET_RETRY_ATTEMPTS = 20;

export interface TaskRouteProps {
  route: Route;
  prefix: string;
  bus: events.IEventBus;
  deliveryDlq: sqs.IQueue;
  network: Network;
  libsqlSecret: secretsmanager.ISecret;
  environment: Record<string, string>;
}

export class TaskRoute extends Construct {
  readonly route: Route;
  readonly queue: sqs.Queue;
  readonly dlq: sqs.Queue;
  /** Literal names (queue.queueName is a token); the dashboard and alarms address queues by them. */
  readonly queueName: string;
  readonly dlqName: string;
  readonly rule: events.Rule;
  readonly consumer: AppFunction;

  constructor(scope: Construct, id: string, props: TaskRouteProps) {
    super(scope, id);
    const { route, prefix } = props;
    this.route = route;
    this.queueName = queueName(route.task, prefix);
    this.dlqName = dlqName(route.task, prefix);

    this.dlq = deadLetterQueue(this, "Dlq", this.dlqName, `tasks of ${route.task}`);
    const settings = taskQueueSettings(route);
    this.queue = new sqs.Queue(this, "Queue", {
      queueName: this.queueName,
      deliveryDelay: Duration.seconds(settings.delaySeconds),
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(settings.retentionSeconds),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: settings.maxReceiveCount },
    });

    this.rule = new events.Rule(this, "Rule", {
      ruleName: `${prefix}-${route.task}`,
      description: route.description,
      eventBus: props.bus,
      eventPattern: eventPatternFor(route),
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, {
        deadLetterQueue: props.deliveryDlq,
        maxEventAge: TARGET_MAX_EVENT_AGE,
        retryAttempts: TARGET_RETRY_ATTEMPTS,
      }),
    );

    this.consumer = new AppFunction(this, "Consumer", {
      functionName: `${prefix}-task-${route.task}`,
      lazyModules: LAZY_MODULES,
      entry: entries.consumer,
      description: `Task ${route.task}: ${route.description}`.slice(0, 256),
      memoryMb: route.memoryMb,
      timeout: Duration.seconds(route.timeoutSeconds),
      network: {
        vpc: props.network.vpc,
        subnets: props.network.functionSubnets,
        securityGroup: props.network.functionSecurityGroup,
      },
      environment: {
        ...props.environment,
        TASK_NAME: route.task,
        QUEUE_URL: this.queue.queueUrl,
        DLQ_URL: this.dlq.queueUrl,
      },
    });
    const fn = this.consumer.fn;
    // Receive, delete, ChangeMessageVisibility (backoff) and GetQueueAttributes on its own queue.
    fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: route.batchSize,
        maxBatchingWindow: Duration.seconds(route.batchWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: capacityFor(route.priority).lambdaMaxConcurrency,
      }),
    );
    // A permanent failure goes straight to the DLQ without burning retries (docs/architecture.md, "Retries and a message's fate").
    this.dlq.grantSendMessages(fn);
    props.bus.grantPutEventsTo(fn);
    props.libsqlSecret.grantRead(fn);
    if (capabilitiesOf(route.task).embeddingModel) allowEmbeddingModel(fn);
  }
}
