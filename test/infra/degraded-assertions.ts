/**
 * Degraded modes are visible on AWS: the dashboard charts the `Degraded`
 * metric of every mode, and every mode has an alarm on the topic, addressing
 * the exact series the functions emit (namespace, service + Mode).
 */
import { describe, expect, it } from "vitest";
import { DEGRADED_ALARMS } from "@infra/lib/alarm-thresholds";
import { METRICS_NAMESPACE, SERVICE_NAME } from "@infra/lib/config";
import { DEGRADED_WIDGET_TITLE } from "@infra/lib/constructs/dashboard";
import { ALL_DEGRADED_MODES, DEGRADED_METRIC } from "@shared/observability/degradedModes";
import { resourcesOfType, type SynthContext } from "./synth";

export function describeDegradedModes(ctx: SynthContext): void {
  describe("degraded modes on AWS", () => {
    it("the dashboard charts every degraded mode", () => {
      const dashboards = Object.values(resourcesOfType(ctx.synth.template, "AWS::CloudWatch::Dashboard"));
      const body = dashboards[0]?.Properties?.DashboardBody as { "Fn::Join": [string, unknown[]] };
      const parsed = JSON.parse(body["Fn::Join"][1].map((part) => (typeof part === "string" ? part : "TOKEN")).join("")) as {
        widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }>;
      };
      const widget = parsed.widgets.find((w) => w.properties.title === DEGRADED_WIDGET_TITLE);
      expect(widget, "no degraded-modes widget").toBeDefined();
      const series = (widget?.properties.metrics ?? []).map((m) => JSON.stringify(m));
      expect(series).toHaveLength(ALL_DEGRADED_MODES.length);
      for (const mode of ALL_DEGRADED_MODES) {
        expect(series.some((s) => s.includes(`"${METRICS_NAMESPACE}","${DEGRADED_METRIC}"`) && s.includes(`"Mode","${mode}"`) && s.includes(`"service","${SERVICE_NAME}"`)), mode).toBe(true);
      }
    });

    it("every degraded mode has an alarm on the alarm topic, at its threshold", () => {
      const alarms = Object.values(resourcesOfType(ctx.synth.template, "AWS::CloudWatch::Alarm")).map((a) => a.Properties ?? {});
      for (const mode of ALL_DEGRADED_MODES) {
        const match = alarms.filter((a) => a.MetricName === DEGRADED_METRIC && JSON.stringify(a.Dimensions).includes(`"Value":"${mode}"`));
        expect(match, mode).toHaveLength(1);
        const rule = DEGRADED_ALARMS[mode];
        expect(match[0]).toMatchObject({
          Namespace: METRICS_NAMESPACE,
          Statistic: "Sum",
          Period: 300,
          Threshold: rule.perFiveMinutes,
          EvaluationPeriods: rule.periods,
          DatapointsToAlarm: rule.periods,
          ComparisonOperator: "GreaterThanThreshold",
          TreatMissingData: "notBreaching",
          AlarmActions: [expect.anything()],
        });
        expect(match[0]?.Dimensions).toEqual(expect.arrayContaining([{ Name: "service", Value: SERVICE_NAME }, { Name: "Mode", Value: mode }]));
        expect((match[0]?.Dimensions as unknown[]).length).toBe(2);
      }
    });
  });
}
