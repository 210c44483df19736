/**
 * Deployment settings: what differs between one deployment and another comes
 * from CDK context (`cdk.json` or `-c key=value`), never from code edits.
 */
import type { Node } from "constructs";

export interface InfraConfig {
  /** Prefix of every queue, function and schedule name; two stages in one account need two prefixes. */
  prefix: string;
  /** Optional e-mail subscribed to the alarm topic. */
  alarmEmail?: string;
  /** An existing Secrets Manager secret `{url, authToken}` for libSQL; when absent the stack creates one to fill in. */
  libsqlSecretArn?: string;
  /** NAT gateways for the Lambda subnets (1 keeps the floor low; 2 survives the loss of an AZ). */
  natGateways: number;
  /** Steady-state request rate allowed on the HTTP API (requests per second). */
  apiRateLimit: number;
  apiBurstLimit: number;
  /**
   * OIDC issuer of the users' tokens (context `jwtIssuer` or env JWT_ISSUER), e.g. a Cognito user pool:
   * `https://cognito-idp.<region>.amazonaws.com/<poolId>`. When set, the per-user routes take a JWT
   * (API Gateway's JWT authorizer) and act for its `sub`; when absent they stay behind the API key.
   */
  jwtIssuer?: string;
  /** Accepted `aud` values (context `jwtAudience` or env JWT_AUDIENCE, comma-separated; Cognito: the app client id). */
  jwtAudience?: string[];
}

export const DEFAULT_CONFIG: InfraConfig = {
  prefix: "alexandria",
  natGateways: 1,
  apiRateLimit: 50,
  apiBurstLimit: 100,
};

/** Reads the settings from context, falling back to the defaults above. */
export function readConfig(node: Node): InfraConfig {
  const text = (key: string): string | undefined => {
    const value: unknown = node.tryGetContext(key);
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  const int = (key: string, fallback: number): number => {
    const value: unknown = node.tryGetContext(key);
    if (value === undefined) return fallback;
    const parsed = typeof value === "number" ? value : Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`context ${key} must be a non-negative integer, got ${String(value)}`);
    return parsed;
  };
  const prefix = text("prefix") ?? DEFAULT_CONFIG.prefix;
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(prefix)) {
    throw new Error(`context prefix must be lowercase letters, digits and dashes (2-31 chars), got "${prefix}"`);
  }
  return {
    prefix,
    alarmEmail: text("alarmEmail"),
    libsqlSecretArn: text("libsqlSecretArn"),
    natGateways: int("natGateways", DEFAULT_CONFIG.natGateways),
    apiRateLimit: int("apiRateLimit", DEFAULT_CONFIG.apiRateLimit),
    apiBurstLimit: int("apiBurstLimit", DEFAULT_CONFIG.apiBurstLimit),
    ...jwtSettings(text("jwtIssuer") ?? nonEmpty(process.env.JWT_ISSUER), text("jwtAudience") ?? nonEmpty(process.env.JWT_AUDIENCE)),
  };
}

function nonEmpty(v: string | undefined): string | undefined {
  return v && v.trim() !== "" ? v.trim() : undefined;
}

function jwtSettings(issuer: string | undefined, audience: string | undefined): Pick<InfraConfig, "jwtIssuer" | "jwtAudience"> {
  if (!issuer && !audience) return {};
  if (!issuer || !audience) throw new Error("context jwtIssuer and jwtAudience go together: give both (Cognito: the user pool's issuer URL and its app client id) or neither");
  if (!/^https:\/\/[^\s/]+/.test(issuer)) throw new Error(`context jwtIssuer must be an https URL, got "${issuer}"`);
  return { jwtIssuer: issuer, jwtAudience: audience.split(",").map((a) => a.trim()).filter(Boolean) };
}

/** Values the functions read from their environment and CloudWatch reads back. */
export const SERVICE_NAME = "neo-alexandria";
export const METRICS_NAMESPACE = "NeoAlexandria";
export const EMBEDDING_MODEL_ID = "amazon.titan-embed-text-v2:0";
