/**
 * HTTP API Lambda authorizer (simple responses): a request is authorized when
 * its `x-api-key` header equals the key stored in the Secrets Manager secret
 * named by API_KEY_SECRET_ARN (JSON `{"apiKey": "..."}` or a plain string).
 *
 * The key is cached per container for five minutes, so a rotated key takes
 * effect without a deploy. Comparison is constant-time. Any failure to read the
 * key denies the request (fail closed).
 *
 * `@aws-sdk/client-secrets-manager` is not a dependency of this package, so the
 * one call we need (GetSecretValue) is made over HTTPS with a small SigV4
 * signer, using the credentials Lambda puts in the environment.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from "aws-lambda";

export const API_KEY_HEADER = "x-api-key";
const KEY_TTL_MS = 5 * 60 * 1000;

let cachedKey: { value: Promise<string>; expiresAt: number } | undefined;

export const handler = async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerResult> => {
  const presented = event.headers?.[API_KEY_HEADER];
  if (!presented) return { isAuthorized: false };
  let expected: string;
  try {
    expected = await currentApiKey();
  } catch (error) {
    console.error(JSON.stringify({ level: "ERROR", message: "cannot read the API key; denying", error: String(error) }));
    return { isAuthorized: false };
  }
  return { isAuthorized: keysMatch(presented, expected) };
};

/** Constant-time equality; hashing first makes the inputs equal in length. */
export function keysMatch(presented: string, expected: string): boolean {
  if (expected.length === 0) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** For tests: forget the cached key. */
export function clearApiKeyCache(): void {
  cachedKey = undefined;
}

async function currentApiKey(now = Date.now()): Promise<string> {
  if (cachedKey && cachedKey.expiresAt > now) return cachedKey.value;
  const secretArn = process.env.API_KEY_SECRET_ARN;
  const value = secretArn
    ? getSecretString(secretArn).then(parseApiKey)
    : // Outside AWS (local runtime, tests) the key may come from the environment.
      Promise.resolve(process.env.API_KEY ?? "");
  cachedKey = { value, expiresAt: now + KEY_TTL_MS };
  // A failed read must not be cached for five minutes.
  value.catch(() => {
    cachedKey = undefined;
  });
  return value;
}

export function parseApiKey(secretString: string): string {
  const trimmed = secretString.trim();
  if (!trimmed.startsWith("{")) return trimmed;
  const parsed: unknown = JSON.parse(trimmed);
  const key = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).apiKey : undefined;
  if (typeof key !== "string") throw new Error("API key secret has no string field apiKey");
  return key;
}

/** GetSecretValue over HTTPS, signed with the function's own credentials. */
async function getSecretString(secretArn: string): Promise<string> {
  const [, partition = "aws", , region = process.env.AWS_REGION ?? "us-east-1"] = secretArn.split(":");
  const host = `secretsmanager.${region}.${partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com"}`;
  const body = JSON.stringify({ SecretId: secretArn });
  const credentials = credentialsFromEnv();
  const headers = signRequest({
    method: "POST",
    host,
    body,
    region,
    service: "secretsmanager",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "secretsmanager.GetSecretValue" },
    credentials,
    date: new Date(),
  });
  // fetch sets Host from the URL itself (the same value that was signed).
  const { host: _signedHost, ...sendHeaders } = headers;
  const response = await fetch(`https://${host}/`, { method: "POST", headers: sendHeaders, body, signal: AbortSignal.timeout(3000) });
  const text = await response.text();
  if (!response.ok) throw new Error(`GetSecretValue failed with ${response.status}: ${text.slice(0, 200)}`);
  const payload = JSON.parse(text) as { SecretString?: unknown };
  if (typeof payload.SecretString !== "string") throw new Error("secret has no SecretString");
  return payload.SecretString;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

function credentialsFromEnv(): Credentials {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error("no AWS credentials in the environment");
  return { accessKeyId, secretAccessKey, sessionToken: process.env.AWS_SESSION_TOKEN };
}

export interface SignInput {
  method: string;
  host: string;
  /** Request path; only "/" (no query string) is needed here. */
  path?: string;
  body: string;
  region: string;
  service: string;
  headers: Record<string, string>;
  credentials: Credentials;
  date: Date;
}

/** AWS Signature Version 4 for a request without a query string; returns the headers to send. */
export function signRequest(input: SignInput): Record<string, string> {
  const amzDate = input.date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = { ...lowercaseKeys(input.headers), host: input.host, "x-amz-date": amzDate };
  if (input.credentials.sessionToken) headers["x-amz-security-token"] = input.credentials.sessionToken;

  const names = Object.keys(headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${(headers[n] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const signedHeaders = names.join(";");
  const canonicalRequest = [input.method, input.path ?? "/", "", canonicalHeaders, signedHeaders, sha256Hex(input.body)].join("\n");
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonicalRequest)].join("\n");

  let key: Buffer = hmac(`AWS4${input.credentials.secretAccessKey}`, day);
  for (const part of [input.region, input.service, "aws4_request"]) key = hmac(key, part);
  const signature = createHmac("sha256", key).update(stringToSign).digest("hex");

  headers.authorization = `AWS4-HMAC-SHA256 Credential=${input.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

function lowercaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function sha256Hex(data: string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}
