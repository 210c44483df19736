/**
 * The schedule table as EventBridge Scheduler schedules, all invoking one jobs
 * function with `{ "job": "<name>" }`. Cron comes from `toAwsCron`, the time
 * zone from the table; no flexible window, so "02:00" means 02:00.
 */
import { Aws, Duration, RemovalPolicy, Stack, TimeZone, Validations } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import { LambdaInvoke } from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { Construct } from "constructs";
import { schedules, toAwsCron, type Schedule } from "@shared/events/schedules";
import { entries } from "../paths";
import { AppFunction } from "./app-function";
import type { Network } from "./network";
import { deadLetterQueue } from "./queues";

/** Scheduler retries a failed invocation request this often, for at most this long. */
export const SCHEDULE_RETRY_ATTEMPTS = 3;
export const SCHEDULE_MAX_EVENT_AGE = Duration.hours(1);

export interface SchedulingProps {
  prefix: string;
  network: Network;
  environment: Record<string, string>;
  table?: readonly Schedule[];
}

export class Scheduling extends Construct {
  readonly jobs: AppFunction;
  /** Invocations Scheduler could not deliver, and jobs that failed after Lambda's async retry. */
  readonly dlq: sqs.Queue;
  readonly dlqName: string;
  readonly schedules: scheduler.Schedule[] = [];

  constructor(scope: Construct, id: string, props: SchedulingProps) {
    super(scope, id);
    this.dlqName = `${props.prefix}-scheduler-dlq`;
    this.dlq = deadLetterQueue(this, "Dlq", this.dlqName, "scheduled jobs");

    this.jobs = new AppFunction(this, "Jobs", {
      functionName: `${props.prefix}-jobs`,
      entry: entries.job,
      description: "Scheduled jobs (quality, retraining, cache cleanup, reconciler, outbox sweep)",
      memoryMb: 1024,
      timeout: Duration.minutes(10),
      network: { vpc: props.network.vpc, subnets: props.network.functionSubnets, securityGroup: props.network.functionSecurityGroup },
      environment: props.environment,
    });
    // Scheduler invokes asynchronously: a job that throws is retried once by Lambda (jobs are
    // idempotent), then recorded in the DLQ where the alarm sees it.
    this.jobs.fn.configureAsyncInvoke({
      retryAttempts: 1,
      maxEventAge: SCHEDULE_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.dlq),
    });

    // One role for all schedules, assumable by Scheduler only on behalf of this account.
    const role = new iam.Role(this, "InvokeRole", {
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com", {
        conditions: { StringEquals: { "aws:SourceAccount": Aws.ACCOUNT_ID } },
      }),
      description: "EventBridge Scheduler invoking the jobs function",
    });
    const fnLogicalId = Stack.of(this).getLogicalId(this.jobs.fn.node.defaultChild as lambda.CfnFunction);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${fnLogicalId}.Arn>:*]`,
      reason: "lambda:InvokeFunction on the jobs function and its versions/aliases (ARN:*), the grant CDK's LambdaInvoke target makes; no other function.",
    });

    // Destroy with the stack (CDK retains groups by default), so a redeploy can reuse the name.
    const group = new scheduler.ScheduleGroup(this, "Group", { scheduleGroupName: props.prefix, removalPolicy: RemovalPolicy.DESTROY });
    for (const entry of props.table ?? schedules) {
      this.schedules.push(
        new scheduler.Schedule(this, `Schedule-${entry.job}`, {
          scheduleName: `${props.prefix}-${entry.job}`,
          description: entry.description.slice(0, 512),
          scheduleGroup: group,
          schedule: scheduler.ScheduleExpression.expression(toAwsCron(entry.cron), TimeZone.of(entry.timeZone)),
          timeWindow: scheduler.TimeWindow.off(),
          target: new LambdaInvoke(this.jobs.fn, {
            role,
            input: scheduler.ScheduleTargetInput.fromObject({ job: entry.job }),
            retryAttempts: SCHEDULE_RETRY_ATTEMPTS,
            maxEventAge: SCHEDULE_MAX_EVENT_AGE,
            deadLetterQueue: this.dlq,
          }),
        }),
      );
    }
  }
}
