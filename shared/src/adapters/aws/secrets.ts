/**
 * Secrets on AWS: read once per container from Secrets Manager and cached.
 * Values never come from code or from plain environment variables there.
 */
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const cache = new Map<string, Promise<string>>();
let client: SecretsManagerClient | undefined;

export function readSecret(secretId: string): Promise<string> {
  let p = cache.get(secretId);
  if (!p) {
    client ??= new SecretsManagerClient({});
    p = client.send(new GetSecretValueCommand({ SecretId: secretId })).then((r) => {
      if (!r.SecretString) throw new Error(`secret ${secretId} has no string value`);
      return r.SecretString;
    });
    // A failed read is not cached: the next invocation tries again.
    p.catch(() => cache.delete(secretId));
    cache.set(secretId, p);
  }
  return p;
}

/** A JSON secret's field, or the whole string when it is not JSON. */
export async function readSecretField(secretId: string, field: string): Promise<string | undefined> {
  const raw = await readSecret(secretId);
  try {
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const v = parsed[field];
    return typeof v === "string" ? v : undefined;
  } catch {
    return raw;
  }
}
