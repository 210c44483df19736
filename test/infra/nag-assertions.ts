/**
 * cdk-nag (AwsSolutions) over the real app: no finding may remain that is not
 * acknowledged, and every acknowledgement must say why.
 */
import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import type { SynthContext, ValidationReport } from "./synth";

/** AwsSolutions errors that nobody acknowledged, as "rule at path" lines. */
export const unacknowledged = (report: ValidationReport) =>
  report.pluginReports
    .filter((p) => p.pluginName === "AwsSolutions")
    .flatMap((p) => p.violations)
    .filter((v) => v.severity === "error")
    .map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(", ")}`);

/** Declares the checks; `ctx.synth` is filled by the beforeAll of stack.test.ts. */
export function describeNag(ctx: SynthContext): void {
  describe("cdk-nag AwsSolutions", () => {
    it("leaves no unacknowledged error in the stack", () => {
      expect(unacknowledged(ctx.synth.validationReport)).toEqual([]);
    });

    it("justifies every acknowledgement with a real reason", () => {
      // Acknowledgements are recorded as construct metadata: { "<source>::<rule id>": reason }.
      const acknowledgements: Array<{ path: string; id: string; reason: string }> = [];
      const visit = (c: IConstruct) => {
        for (const entry of c.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
            if (id.includes("AwsSolutions")) acknowledgements.push({ path: c.node.path, id, reason });
          }
        }
        c.node.children.forEach(visit);
      };
      visit(ctx.synth.stack);
      expect(acknowledgements.length).toBeGreaterThan(0);
      for (const a of acknowledgements) expect(a.reason.length, `${a.id} at ${a.path}`).toBeGreaterThanOrEqual(40);
    });
  });
}
