/**
 * Alarms that mean someone should look: a dead letter exists, a queue is not
 * draining, a function fails more than a few percent of its invocations, a
 * degraded mode persists. All notify one SNS topic (subscribe an address with
 * the `alarmEmail` context).
 */
import { Duration, Validations } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import { ALL_DEGRADED_MODES } from "@shared/observability/degradedModes";
import { DEGRADED_ALARMS, FUNCTION_ERROR_RATE_PERCENT } from "../alarm-thresholds";
import { degradedMetric, lambdaMetric, queueDepth, queueOldestAge, type MonitoredFunction, type MonitoredQueue } from "./metrics";

export interface AlarmsProps {
  prefix: string;
  queues: MonitoredQueue[];
  deadLetterQueues: MonitoredQueue[];
  functions: MonitoredFunction[];
  alarmEmail?: string;
}

export class Alarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cw.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, "Topic", { topicName: `${props.prefix}-alarms`, enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason: "Alarm notifications carry alarm names and states only; a KMS key would cost money and need a key policy for CloudWatch without protecting anything sensitive.",
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cwActions.SnsAction(this.topic);
    const add = (alarm: cw.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    };

    for (const dlq of props.deadLetterQueues) {
      add(
        new cw.Alarm(this, `DeadLetters-${dlq.label}`, {
          alarmName: `${dlq.queueName} has messages`,
          alarmDescription: `Messages are waiting in ${dlq.queueName}. See docs/runbook.md "A dead-letter alarm fires".`,
          metric: queueDepth(dlq, "alarm"),
          threshold: 0,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const queue of props.queues) {
      if (queue.ageAlarmSeconds === undefined) continue;
      add(
        new cw.Alarm(this, `OldestMessage-${queue.label}`, {
          alarmName: `${queue.queueName} not draining`,
          alarmDescription: `The oldest message in ${queue.queueName} is older than ${queue.ageAlarmSeconds} s: consumers are failing, throttled or stopped.`,
          metric: queueOldestAge(queue, "alarm"),
          threshold: queue.ageAlarmSeconds,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 3,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const mode of ALL_DEGRADED_MODES) {
      const rule = DEGRADED_ALARMS[mode];
      add(
        new cw.Alarm(this, `Degraded-${mode}`, {
          alarmName: `${props.prefix} degraded: ${mode}`,
          alarmDescription: `${rule.meaning} (more than ${rule.perFiveMinutes} per 5 minutes, ${rule.periods} periods in a row; docs/runbook.md "A degraded-mode alarm fires")`,
          metric: degradedMetric(mode, "alarm"),
          threshold: rule.perFiveMinutes,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: rule.periods,
          datapointsToAlarm: rule.periods,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }

    for (const fn of props.functions) {
      const errorRate = new cw.MathExpression({
        expression: "IF(invocations > 0, 100 * errors / invocations, 0)",
        usingMetrics: {
          errors: lambdaMetric(fn, "Errors", cw.Stats.SUM),
          invocations: lambdaMetric(fn, "Invocations", cw.Stats.SUM),
        },
        label: `${fn.label} error rate %`,
        period: Duration.minutes(5),
      });
      add(
        new cw.Alarm(this, `ErrorRate-${fn.label}`, {
          alarmName: `${fn.functionName} error rate`,
          alarmDescription: `More than ${FUNCTION_ERROR_RATE_PERCENT}% of ${fn.functionName} invocations failed in 2 of the last 3 five-minute periods.`,
          metric: errorRate,
          threshold: FUNCTION_ERROR_RATE_PERCENT,
          comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          datapointsToAlarm: 2,
          treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        }),
      );
    }
  }
}
