/**
 * CloudWatch metrics of the system, addressed by the names we give resources
 * (so the dashboard reads as queue and function names, not tokens), and the
 * custom EMF metrics the functions emit under the NeoAlexandria namespace.
 */
import { Duration } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import { ALL_DEGRADED_MODES, DEGRADED_METRIC, type DegradedMode } from "@shared/observability/degradedModes";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../config";

export interface MonitoredQueue {
  label: string;
  queueName: string;
  /** Age of the oldest message above which the queue counts as stuck. */
  ageAlarmSeconds?: number;
}

export interface MonitoredFunction {
  label: string;
  functionName: string;
}

const ONE_MINUTE = Duration.minutes(1);
const FIVE_MINUTES = Duration.minutes(5);

/**
 * Graph lines carry a label; alarm metrics do not, which keeps an alarm in the
 * plain single-metric form the console shows best.
 */
export type MetricUse = "graph" | "alarm";

export function queueMetric(queue: MonitoredQueue, metricName: string, statistic: string, use: MetricUse): cw.Metric {
  return new cw.Metric({
    namespace: "AWS/SQS",
    metricName,
    dimensionsMap: { QueueName: queue.queueName },
    statistic,
    period: ONE_MINUTE,
    ...(use === "graph" ? { label: queue.label } : {}),
  });
}

export const queueDepth = (q: MonitoredQueue, use: MetricUse = "graph") => queueMetric(q, "ApproximateNumberOfMessagesVisible", cw.Stats.MAXIMUM, use);
export const queueOldestAge = (q: MonitoredQueue, use: MetricUse = "graph") => queueMetric(q, "ApproximateAgeOfOldestMessage", cw.Stats.MAXIMUM, use);
export const queueInFlight = (q: MonitoredQueue, use: MetricUse = "graph") => queueMetric(q, "ApproximateNumberOfMessagesNotVisible", cw.Stats.MAXIMUM, use);

export function lambdaMetric(fn: MonitoredFunction, metricName: string, statistic: string): cw.Metric {
  return new cw.Metric({
    namespace: "AWS/Lambda",
    metricName,
    dimensionsMap: { FunctionName: fn.functionName },
    statistic,
    period: FIVE_MINUTES,
    label: fn.label,
  });
}

/**
 * A custom metric summed over every dimension combination it was emitted with.
 * Powertools adds a `service` dimension to what the code declares, so a search
 * is sturdier than guessing the exact dimension set.
 */
export function customMetricSearch(metricName: string, label: string, period = FIVE_MINUTES): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metricName}"', 'Sum', ${period.toSeconds()})`,
    label,
    period,
  });
}

/** Sum of a custom metric across all its dimension combinations, as one line. */
export function customMetricTotal(metricName: string, label: string, period = FIVE_MINUTES): cw.MathExpression {
  return new cw.MathExpression({
    expression: `SUM(SEARCH('Namespace="${METRICS_NAMESPACE}" MetricName="${metricName}"', 'Sum', ${period.toSeconds()}))`,
    label,
    period,
  });
}

/**
 * Occurrences of one degraded mode across all functions. The functions emit
 * it with exactly these dimensions (service, Mode; no Task), so an alarm can
 * address it without a search expression.
 */
export function degradedMetric(mode: DegradedMode, use: MetricUse = "graph", period = FIVE_MINUTES): cw.Metric {
  return new cw.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: DEGRADED_METRIC,
    dimensionsMap: { service: SERVICE_NAME, Mode: mode },
    statistic: cw.Stats.SUM,
    period,
    ...(use === "graph" ? { label: mode } : {}),
  });
}

export const degradedMetrics = (): cw.Metric[] => ALL_DEGRADED_MODES.map((mode) => degradedMetric(mode));
