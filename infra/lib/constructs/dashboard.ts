/**
 * The operations dashboard: queues, functions, tasks, cache and events on one
 * page. Each graph holds one metric for every queue or function, so a row reads
 * as "which task is the odd one out".
 */
import { Duration } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import { Construct } from "constructs";
import { METRICS_NAMESPACE } from "../config";
import {
  customMetricSearch,
  customMetricTotal,
  degradedMetrics,
  lambdaMetric,
  queueDepth,
  queueInFlight,
  queueOldestAge,
  type MonitoredFunction,
  type MonitoredQueue,
} from "./metrics";

export interface DashboardProps {
  dashboardName: string;
  queues: MonitoredQueue[];
  deadLetterQueues: MonitoredQueue[];
  functions: MonitoredFunction[];
  eventBusName: string;
  cacheName: string;
}

export const DEGRADED_WIDGET_TITLE = "Degraded modes (fell back instead of failing)";

const WIDE = 12;
const HEIGHT = 6;

function graph(title: string, metrics: cw.IMetric[], unit?: string): cw.GraphWidget {
  return new cw.GraphWidget({
    title,
    left: metrics,
    width: WIDE,
    height: HEIGHT,
    ...(unit ? { leftYAxis: { label: unit, showUnits: false, min: 0 } } : { leftYAxis: { min: 0 } }),
    legendPosition: cw.LegendPosition.RIGHT,
  });
}

export class OperationsDashboard extends Construct {
  readonly dashboard: cw.Dashboard;

  constructor(scope: Construct, id: string, props: DashboardProps) {
    super(scope, id);
    const { queues, deadLetterQueues, functions } = props;
    const fnMetric = (name: string, stat: string) => functions.map((f) => lambdaMetric(f, name, stat));

    const hits = customMetricTotal("CacheHits", "hits");
    const misses = customMetricTotal("CacheMisses", "misses");
    const hitRate = new cw.MathExpression({
      expression: "IF((h + m) > 0, 100 * h / (h + m), 0)",
      usingMetrics: { h: hits, m: misses },
      label: "hit rate % (L1 + L2)",
      period: Duration.minutes(5),
    });
    const cacheService = (metricName: string, stat: string, label: string) =>
      new cw.Metric({ namespace: "AWS/ElastiCache", metricName, dimensionsMap: { clusterId: props.cacheName }, statistic: stat, label });
    const ruleSearch = (metricName: string) =>
      new cw.MathExpression({
        expression: `SEARCH('{AWS/Events,EventBusName,RuleName} MetricName="${metricName}" EventBusName="${props.eventBusName}"', 'Sum', 300)`,
        label: metricName,
        period: Duration.minutes(5),
      });

    this.dashboard = new cw.Dashboard(this, "Dashboard", {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new cw.TextWidget({
            markdown: `# Neo Alexandria\nQueues, task functions, cache and events. Custom metrics: namespace \`${METRICS_NAMESPACE}\`. Runbook: docs/runbook.md.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph("Queue depth (visible)", queues.map((q) => queueDepth(q)), "messages"),
          graph("Age of oldest message", queues.map((q) => queueOldestAge(q)), "seconds"),
        ],
        [
          graph("In flight (not visible)", queues.map((q) => queueInFlight(q)), "messages"),
          graph("Dead-letter queue depth", deadLetterQueues.map((q) => queueDepth(q)), "messages"),
        ],
        [graph("Invocations", fnMetric("Invocations", cw.Stats.SUM)), graph("Errors", fnMetric("Errors", cw.Stats.SUM))],
        [graph("Duration p50", fnMetric("Duration", cw.Stats.p(50)), "ms"), graph("Duration p99", fnMetric("Duration", cw.Stats.p(99)), "ms")],
        [graph("Throttles", fnMetric("Throttles", cw.Stats.SUM)), graph("Concurrent executions", fnMetric("ConcurrentExecutions", cw.Stats.MAXIMUM))],
        [
          graph("Tasks succeeded (by task)", [customMetricSearch("TaskSucceeded", "succeeded")]),
          graph("Tasks failed / retried (by task)", [customMetricSearch("TaskFailed", "failed"), customMetricSearch("TaskRetried", "retried")]),
        ],
        [
          graph("Cache hit rate (application)", [hitRate], "%"),
          graph("Cache hits and misses", [hits, misses]),
        ],
        [
          graph("Valkey (service side)", [
            cacheService("CacheHitRate", cw.Stats.AVERAGE, "hit rate %"),
            cacheService("ElastiCacheProcessingUnits", cw.Stats.SUM, "ECPUs"),
          ]),
          graph("Valkey storage", [cacheService("BytesUsedForCache", cw.Stats.MAXIMUM, "bytes")], "bytes"),
        ],
        [
          graph("Events published (application)", [customMetricTotal("EventsPublished", "published")]),
          graph("Rule deliveries", [ruleSearch("Invocations"), ruleSearch("FailedInvocations")]),
        ],
        [
          // Places that did less instead of failing (docs/operations.md, "Degraded modes"); each has an alarm.
          new cw.GraphWidget({
            title: DEGRADED_WIDGET_TITLE,
            left: degradedMetrics(),
            width: 24,
            height: HEIGHT,
            leftYAxis: { label: "occurrences / 5 min", showUnits: false, min: 0 },
            legendPosition: cw.LegendPosition.RIGHT,
          }),
        ],
      ],
    });
  }
}
