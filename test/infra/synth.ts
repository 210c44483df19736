/**
 * Synthesizes the real app (same builder as `cdk synth`, cdk-nag attached) into
 * a temporary directory. Each test file calls it once in beforeAll: bundling
 * and cdk-nag take seconds, assertions take milliseconds.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { buildApp, type BuildOptions } from "@infra/lib/app-builder";
import type { NeoAlexandriaStack } from "@infra/lib/neo-alexandria-stack";

/** Bundling a handful of functions and running cdk-nag on a loaded machine. */
export const SYNTH_TIMEOUT_MS = 120_000;

export interface Synthesized {
  template: Template;
  stack: NeoAlexandriaStack;
  outdir: string;
  /** Parsed `validation-report.json` (cdk-nag findings). */
  validationReport: ValidationReport;
}

export interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion?: string;
    violations: Array<{ ruleName: string; severity: string; description: string; violatingConstructs: Array<{ constructPath: string }> }>;
  }>;
}

/** Filled once by a test file's beforeAll and read by the assertion modules. */
export interface SynthContext {
  synth: Synthesized;
}

export function synthesize(options: Omit<BuildOptions, "outdir"> = {}): Synthesized {
  const outdir = mkdtempSync(path.join(tmpdir(), "neo-alexandria-cdk-"));
  // The built-in CloudFormation schema check adds ~15 s and still runs in `cdk synth`; cdk-nag stays on.
  const { app, stack } = buildApp({ builtinCloudFormationValidation: false, ...options, outdir });
  app.synth();
  const template = Template.fromStack(stack);
  const validationReport = JSON.parse(readFileSync(path.join(outdir, "validation-report.json"), "utf8")) as ValidationReport;
  return { template, stack, outdir, validationReport };
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Logical id of the only resource of a type whose properties match `where`. */
export function onlyLogicalId(template: Template, type: string, where: Record<string, unknown>): string {
  const found = template.findResources(type, { Properties: where });
  const ids = Object.keys(found);
  if (ids.length !== 1) throw new Error(`expected exactly one ${type} matching ${JSON.stringify(where)}, found ${ids.length}`);
  return ids[0] as string;
}

export function resourcesOfType(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of the inline policies attached to a role. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = resourcesOfType(template, "AWS::IAM::Policy");
  const out: Statement[] = [];
  for (const policy of Object.values(policies)) {
    const roles = (policy.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((r) => JSON.stringify(r) === JSON.stringify({ Ref: roleLogicalId }))) continue;
    const doc = policy.Properties?.PolicyDocument as { Statement: Statement[] };
    out.push(...doc.Statement);
  }
  return out;
}

export const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Logical ids a statement's resources refer to (Ref / Fn::GetAtt), and any literal strings. */
export function referencedResources(resource: unknown): { logicalIds: Set<string>; literals: string[] } {
  const logicalIds = new Set<string>();
  const literals: string[] = [];
  const walk = (node: unknown, top: boolean): void => {
    if (typeof node === "string") {
      if (top) literals.push(node);
      return;
    }
    if (Array.isArray(node)) {
      for (const n of node) walk(n, top);
      return;
    }
    if (node && typeof node === "object") {
      const obj = node as Record<string, unknown>;
      if (typeof obj.Ref === "string") logicalIds.add(obj.Ref);
      const getAtt = obj["Fn::GetAtt"];
      if (Array.isArray(getAtt) && typeof getAtt[0] === "string") logicalIds.add(getAtt[0]);
      for (const v of Object.values(obj)) walk(v, false);
    }
  };
  for (const r of asArray(resource)) walk(r, true);
  return { logicalIds, literals };
}
