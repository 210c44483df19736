/**
 * HTTP API Lambda authorizer (simple responses): a request is authorized when
 * its `x-api-key` header equals the key stored in the Secrets Manager secret
 * named by API_KEY_SECRET_ARN (JSON `{"apiKey": "..."}` or a plain string).
 *
 * The key is cached per container for five minutes, so a rotated key takes
 * effect without a deploy (the shared secret reader caches for the container's
 * life, which suits connection strings but not a rotated key). Comparison is
 * constant-time. Any failure to read the key denies the request (fail closed).
 */
import { sameSecret } from "@shared/security/constantTime";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from "aws-lambda";

export const API_KEY_HEADER = "x-api-key";
const KEY_TTL_MS = 5 * 60 * 1000;

let client: SecretsManagerClient | undefined;
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

/** Constant-time equality (the project's one secret comparison). */
export function keysMatch(presented: string, expected: string): boolean {
  return sameSecret(presented, expected);
}

/** For tests: forget the cached key. */
export function clearApiKeyCache(): void {
  cachedKey = undefined;
}

export function parseApiKey(secretString: string): string {
  const trimmed = secretString.trim();
  if (!trimmed.startsWith("{")) return trimmed;
  const parsed: unknown = JSON.parse(trimmed);
  const key = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>).apiKey : undefined;
  if (typeof key !== "string") throw new Error("API key secret has no string field apiKey");
  return key;
}

function currentApiKey(now = Date.now()): Promise<string> {
  if (cachedKey && cachedKey.expiresAt > now) return cachedKey.value;
  const secretArn = process.env.API_KEY_SECRET_ARN;
  const value = secretArn
    ? readSecretString(secretArn).then(parseApiKey)
    : // Outside AWS (local runtime, tests) the key may come from the environment.
      Promise.resolve(process.env.API_KEY ?? "");
  const entry = { value, expiresAt: now + KEY_TTL_MS };
  cachedKey = entry;
  // A failed read must not be cached for five minutes.
  value.catch(() => {
    if (cachedKey === entry) cachedKey = undefined;
  });
  return value;
}

async function readSecretString(secretId: string): Promise<string> {
  client ??= new SecretsManagerClient({});
  const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!result.SecretString) throw new Error("API key secret has no string value");
  return result.SecretString;
}
