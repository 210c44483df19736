/**
 * The synthesized template read as the cloud would read it, with local
 * stand-ins in place of the cloud's resources:
 *
 * - `resolve` turns CloudFormation intrinsics (Ref, Fn::GetAtt, Fn::Join,
 *   Fn::Sub, pseudo parameters) into values: queues become queue URLs served
 *   through the AWS fake, the cache endpoint becomes the test's Redis, ARNs
 *   are built in a fixed account and region. Anything it cannot resolve
 *   throws, so an environment variable nobody planned for fails the test.
 * - `lambda(name)` is one function as Lambda would start it: its bundle
 *   directory, handler, role, timeout, memory and the environment the
 *   template gives it (resolved).
 * - `allows(role, action, arn)` answers from the role's policies in the
 *   template, with IAM's wildcard matching.
 * - `targetsOf(event)` applies the bus rules' event patterns (exact-match
 *   arrays and nested objects, what the routing table produces).
 */
import path from "node:path";

export const ACCOUNT = "000000000000";
export const REGION = "us-east-1";

type Json = unknown;
interface Resource {
  Type: string;
  Properties?: Record<string, Json>;
}
export interface TemplateJson {
  Resources: Record<string, Resource>;
}

export interface Bindings {
  /** Origin through which functions reach AWS APIs (queue URLs point here). */
  awsOrigin: string;
  redis: { host: string; port: number };
}

export interface LambdaSpec {
  logicalId: string;
  functionName: string;
  roleLogicalId: string;
  bundleDir: string;
  handler: string;
  runtime: string;
  memoryMb: number;
  timeoutSeconds: number;
  /** The template's environment, resolved. */
  environment: Record<string, string>;
}

export interface QueueSpec {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
}

export interface EventBridgeEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export class Deployment {
  readonly resources: Record<string, Resource>;

  constructor(
    template: TemplateJson,
    private readonly outdir: string,
    private readonly bindings: Bindings,
  ) {
    this.resources = template.Resources;
  }

  // ------------------------------------------------------------ intrinsics

  resolve(value: Json): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    const node = value as Record<string, Json>;
    if ("Ref" in node) return this.ref(String(node.Ref));
    if ("Fn::GetAtt" in node) {
      const [id, attribute] = node["Fn::GetAtt"] as [string, string];
      return this.getAtt(id, attribute);
    }
    if ("Fn::Join" in node) {
      const [separator, parts] = node["Fn::Join"] as [string, Json[]];
      return parts.map((p) => this.resolve(p)).join(separator);
    }
    if ("Fn::Select" in node) {
      const [index, list] = node["Fn::Select"] as [number, Json];
      const items = Array.isArray(list) ? list.map((x) => this.resolve(x)) : this.resolve(list).split(",");
      return items[Number(index)] ?? "";
    }
    if ("Fn::Split" in node) {
      const [separator, source] = node["Fn::Split"] as [string, Json];
      return this.resolve(source).split(separator).join(",");
    }
    if ("Fn::Sub" in node) {
      const sub = node["Fn::Sub"];
      const [text, vars] = Array.isArray(sub) ? (sub as [string, Record<string, Json>]) : [String(sub), {}];
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in vars) return this.resolve(vars[name]);
        const [id, attribute] = name.split(".");
        return attribute ? this.getAtt(id ?? "", attribute) : this.ref(id ?? "");
      });
    }
    throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  }

  private ref(id: string): string {
    switch (id) {
      case "AWS::Region":
        return REGION;
      case "AWS::AccountId":
        return ACCOUNT;
      case "AWS::Partition":
        return "aws";
      case "AWS::URLSuffix":
        return "amazonaws.com";
    }
    const resource = this.resource(id);
    const p = resource.Properties ?? {};
    switch (resource.Type) {
      case "AWS::SQS::Queue":
        return this.queueUrl(String(p.QueueName));
      case "AWS::SecretsManager::Secret":
        return this.secretArn(id);
      case "AWS::Events::EventBus":
        return String(p.Name);
      case "AWS::Lambda::Function":
        return String(p.FunctionName);
      case "AWS::Logs::LogGroup":
        return `/aws/logs/${id}`;
    }
    throw new Error(`cannot resolve Ref ${id} (${resource.Type})`);
  }

  private getAtt(id: string, attribute: string): string {
    const resource = this.resource(id);
    const p = resource.Properties ?? {};
    switch (`${resource.Type}.${attribute}`) {
      case "AWS::SQS::Queue.Arn":
        return `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(p.QueueName)}`;
      case "AWS::SQS::Queue.QueueName":
        return String(p.QueueName);
      case "AWS::SQS::Queue.QueueUrl":
        return this.queueUrl(String(p.QueueName));
      case "AWS::Events::EventBus.Arn":
        return `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${String(p.Name)}`;
      case "AWS::Events::EventBus.Name":
        return String(p.Name);
      case "AWS::ElastiCache::ServerlessCache.Endpoint.Address":
        return this.bindings.redis.host;
      case "AWS::ElastiCache::ServerlessCache.Endpoint.Port":
        return String(this.bindings.redis.port);
      case "AWS::ElastiCache::ServerlessCache.Arn":
        return `arn:aws:elasticache:${REGION}:${ACCOUNT}:serverlesscache:${String(p.ServerlessCacheName)}`;
      case "AWS::Lambda::Function.Arn":
        return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${String(p.FunctionName)}`;
      case "AWS::Logs::LogGroup.Arn":
        return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/logs/${id}:*`;
      case "AWS::IAM::Role.Arn":
        return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    }
    throw new Error(`cannot resolve Fn::GetAtt ${id}.${attribute} (${resource.Type})`);
  }

  private resource(id: string): Resource {
    const resource = this.resources[id];
    if (!resource) throw new Error(`no resource ${id} in the template`);
    return resource;
  }

  queueUrl(name: string): string {
    return `${this.bindings.awsOrigin}/${ACCOUNT}/${name}`;
  }

  secretArn(logicalId: string): string {
    const name = this.resource(logicalId).Properties?.Name;
    return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${typeof name === "string" ? name : logicalId}-AbCdEf`;
  }

  // ------------------------------------------------------------- functions

  lambda(functionName: string): LambdaSpec {
    const entry = Object.entries(this.resources).find(([, r]) => r.Type === "AWS::Lambda::Function" && r.Properties?.FunctionName === functionName);
    if (!entry) throw new Error(`no function named ${functionName} in the template`);
    const [logicalId, resource] = entry;
    const p = resource.Properties ?? {};
    const code = p.Code as { S3Key: string };
    const variables = ((p.Environment as { Variables?: Record<string, Json> } | undefined)?.Variables ?? {}) as Record<string, Json>;
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries(variables)) environment[k] = this.resolve(v);
    const role = (p.Role as { "Fn::GetAtt": [string, string] })["Fn::GetAtt"][0];
    return {
      logicalId,
      functionName,
      roleLogicalId: role,
      bundleDir: path.join(this.outdir, `asset.${code.S3Key.replace(/\.zip$/, "")}`),
      handler: String(p.Handler),
      runtime: String(p.Runtime),
      memoryMb: Number(p.MemorySize ?? 128),
      timeoutSeconds: Number(p.Timeout ?? 3),
      environment,
    };
  }

  // ---------------------------------------------------------------- queues

  queues(): QueueSpec[] {
    return Object.entries(this.resources)
      .filter(([, r]) => r.Type === "AWS::SQS::Queue")
      .map(([logicalId, r]) => {
        const p = r.Properties ?? {};
        const name = String(p.QueueName);
        const attributes: Record<string, string> = {};
        for (const key of ["DelaySeconds", "VisibilityTimeout", "MessageRetentionPeriod"]) if (p[key] !== undefined) attributes[key] = String(p[key]);
        const redrive = p.RedrivePolicy as { deadLetterTargetArn: Json; maxReceiveCount: number } | undefined;
        if (redrive) attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: this.resolve(redrive.deadLetterTargetArn), maxReceiveCount: redrive.maxReceiveCount });
        return { logicalId, name, url: this.queueUrl(name), arn: this.getAtt(logicalId, "Arn"), attributes };
      });
  }

  /** Queue ARNs the bus rules send this event to. */
  targetsOf(busName: string, event: EventBridgeEvent): string[] {
    const out: string[] = [];
    for (const rule of Object.values(this.resources)) {
      if (rule.Type !== "AWS::Events::Rule") continue;
      const p = rule.Properties ?? {};
      if (this.resolve(p.EventBusName) !== busName || p.State === "DISABLED") continue;
      if (!matches(p.EventPattern, event)) continue;
      for (const target of (p.Targets ?? []) as Array<{ Arn: Json }>) out.push(this.resolve(target.Arn));
    }
    return out;
  }

  /** Inputs of the Scheduler schedules, by name. */
  scheduleInputs(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of Object.values(this.resources)) {
      if (r.Type !== "AWS::Scheduler::Schedule") continue;
      const target = r.Properties?.Target as { Input?: string };
      out[String(r.Properties?.Name)] = JSON.parse(target.Input ?? "null");
    }
    return out;
  }

  // ------------------------------------------------------------------- IAM

  /** True when an Allow statement of the role's policies covers `action` on `resourceArn`. */
  allows(roleLogicalId: string, action: string, resourceArn: string): boolean {
    for (const policy of Object.values(this.resources)) {
      if (policy.Type !== "AWS::IAM::Policy") continue;
      const roles = (policy.Properties?.Roles ?? []) as Array<{ Ref?: string }>;
      if (!roles.some((r) => r.Ref === roleLogicalId)) continue;
      const statements = (policy.Properties?.PolicyDocument as { Statement: Array<{ Effect: string; Action: Json; Resource: Json }> }).Statement;
      for (const s of statements) {
        if (s.Effect !== "Allow") continue;
        const actions = ([] as Json[]).concat(s.Action).map(String);
        const resources = ([] as Json[]).concat(s.Resource).map((r) => this.resolve(r));
        if (actions.some((a) => wildcard(a, action, true)) && resources.some((r) => wildcard(r, resourceArn, false))) return true;
      }
    }
    return false;
  }
}

/** IAM matching: `*` any run of characters, `?` one; actions are case-insensitive. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, ignoreCase ? "i" : "");
  return regex.test(value);
}

/** EventBridge content matching for exact-value arrays and nested objects. */
export function matches(pattern: Json, event: Json): boolean {
  if (Array.isArray(pattern)) return pattern.some((candidate) => JSON.stringify(candidate) === JSON.stringify(event));
  if (pattern && typeof pattern === "object") {
    if (!event || typeof event !== "object") return false;
    return Object.entries(pattern as Record<string, Json>).every(([key, sub]) => matches(sub, (event as Record<string, Json>)[key]));
  }
  throw new Error(`unsupported event pattern ${JSON.stringify(pattern)}`);
}
