/**
 * The schedule table as EventBridge Scheduler schedules. The four expressions
 * of requirement 6 are spelled out literally: they are the contract, not
 * something to derive.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "@infra/lib/config";
import { schedules, toAwsCron } from "@shared/events/schedules";
import { onlyLogicalId, resourcesOfType, type SynthContext } from "./synth";

/** Declares the checks; `ctx.synth` is filled by the beforeAll of stack.test.ts. */
export function describeSchedules(ctx: SynthContext): void {
  const prefix = DEFAULT_CONFIG.prefix;
  const scheduleNamed = (job: string) => {
    const id = onlyLogicalId(ctx.synth.template, "AWS::Scheduler::Schedule", { Name: `${prefix}-${job}` });
    return resourcesOfType(ctx.synth.template, "AWS::Scheduler::Schedule")[id]?.Properties ?? {};
  };

  describe("schedules", () => {
    it("has exactly one schedule per entry of the table", () => {
      expect(Object.keys(resourcesOfType(ctx.synth.template, "AWS::Scheduler::Schedule"))).toHaveLength(schedules.length);
    });

    it.each([
      ["quality-degradation", "cron(0 2 * * ? *)"],
      ["quality-outliers", "cron(0 3 ? * SUN *)"],
      ["classifier-retraining", "cron(0 0 1 * ? *)"],
      ["cache-cleanup", "cron(0 4 * * ? *)"],
    ])("runs %s at %s (requirement 6)", (job, expression) => {
      expect(scheduleNamed(job).ScheduleExpression).toBe(expression);
    });

    it.each(schedules.map((s) => [s.job, s] as const))(
      "%s: cron with time zone, no flexible window, retries and a DLQ, invoking the jobs function with its name",
      (job, entry) => {
        const jobsId = onlyLogicalId(ctx.synth.template, "AWS::Lambda::Function", { FunctionName: `${prefix}-jobs` });
        const dlqId = onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: `${prefix}-scheduler-dlq` });
        const props = scheduleNamed(job);
        expect(props).toMatchObject({
          ScheduleExpression: toAwsCron(entry.cron),
          ScheduleExpressionTimezone: entry.timeZone,
          FlexibleTimeWindow: { Mode: "OFF" },
          State: "ENABLED",
          Target: {
            Arn: { "Fn::GetAtt": [jobsId, "Arn"] },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": [dlqId, "Arn"] } },
            RetryPolicy: { MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) },
          },
        });
        const target = props.Target as { Input: string };
        expect(JSON.parse(target.Input)).toEqual({ job });
      },
    );

    it("sends jobs that fail after Lambda's async retry to the scheduler DLQ", () => {
      const dlqId = onlyLogicalId(ctx.synth.template, "AWS::SQS::Queue", { QueueName: `${prefix}-scheduler-dlq` });
      ctx.synth.template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        DestinationConfig: { OnFailure: { Destination: { "Fn::GetAtt": [dlqId, "Arn"] } } },
        MaximumRetryAttempts: 1,
      });
    });
  });
}
