/**
 * A deliberately bad stack proves cdk-nag is attached the way the app attaches
 * it and that a finding fails synthesis (so "no findings" means something).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { unacknowledged } from "./nag-assertions";
import type { ValidationReport } from "./synth";

describe("cdk-nag is live", () => {
  it("does fail a stack that breaks a rule (the check is live)", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "neo-alexandria-nag-"));
    const app = new App({ outdir, builtinCloudFormationValidation: false });
    const stack = new Stack(app, "Bad");
    new sqs.Queue(stack, "PlainQueue", { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const previousExitCode = process.exitCode;
    try {
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
    } finally {
      // A failed validation also marks the process as failed; this failure is the expected one.
      process.exitCode = previousExitCode;
    }
    const report = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")) as ValidationReport;
    expect(unacknowledged(report).some((f) => f.startsWith("AwsSolutions-SQS4"))).toBe(true);
  });
});
