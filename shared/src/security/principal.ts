/**
 * Who is calling: the authenticated principal a request acts as. The user of
 * a per-user route comes from here, never from the request's body or path.
 *
 * - On AWS, API Gateway's JWT authorizer has checked the token; its `sub`
 *   claim is the user id. Other routes passed the API-key authorizer: admin.
 * - Locally, `x-api-key` is looked up in the key ring: the single `API_KEY`
 *   is the admin key; user keys come from `API_KEYS` (`userId=key,...`) and
 *   the keys file `DATA_DIR/api-keys.json` (`[{"userId": "...", "key": "..."}]`).
 * - No key configured anywhere: the server listens on loopback only (it
 *   refuses to start otherwise, see listenPolicy.ts), and the caller is the
 *   operator of this machine: admin.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import * as z from "zod";
import { matchSecret } from "./constantTime";

/** `anonymous`: a public route called without a key (it may act for no user). */
export type Principal = { kind: "admin" } | { kind: "user"; userId: string } | { kind: "anonymous" };

export const ADMIN: Principal = { kind: "admin" };
export const ANONYMOUS: Principal = { kind: "anonymous" };

/** Letters, digits and `. _ @ : -`: what a user id may be everywhere (routes validate with the same pattern). */
export const USER_ID_PATTERN = /^[\w.@:-]{1,200}$/;
/** User keys are random tokens, not passwords: long enough that guessing is hopeless. */
export const MIN_USER_KEY_LENGTH = 16;

export const KEYS_FILE = "api-keys.json";

export interface UserKey {
  userId: string;
  key: string;
}

export class KeyRingError extends Error {
  override name = "KeyRingError";
}

const userKeySchema = z
  .object({
    userId: z.string().regex(USER_ID_PATTERN, "userId may contain letters, digits and . _ @ : - only"),
    key: z.string().min(MIN_USER_KEY_LENGTH, `a user key must be at least ${MIN_USER_KEY_LENGTH} characters`),
  })
  .strict();

/** `API_KEYS`: `alice@example.org=key1,bob=key2` (neither user ids nor keys contain `,`; user ids contain no `=`). */
export function parseApiKeysEnv(text: string | undefined): UserKey[] {
  if (!text?.trim()) return [];
  return text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((pair, i) => {
      const at = pair.indexOf("=");
      const parsed = userKeySchema.safeParse({ userId: at > 0 ? pair.slice(0, at) : "", key: at > 0 ? pair.slice(at + 1) : "" });
      if (!parsed.success) throw new KeyRingError(`API_KEYS entry ${i + 1}: ${parsed.error.issues[0]?.message ?? "expected userId=key"}`);
      return parsed.data;
    });
}

export function readKeysFile(dataDir: string): UserKey[] {
  const file = path.join(dataDir, KEYS_FILE);
  if (!existsSync(file)) return [];
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new KeyRingError(`${file} is not valid JSON`);
  }
  const parsed = z.array(userKeySchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new KeyRingError(`${file}: ${issue?.path.join(".")}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data;
}

export class KeyRing {
  private readonly entries: Array<{ secret: string; value: Principal }>;

  constructor(adminKey: string | undefined, userKeys: readonly UserKey[]) {
    this.entries = [
      ...(adminKey ? [{ secret: adminKey, value: ADMIN }] : []),
      ...userKeys.map((u) => ({ secret: u.key, value: { kind: "user", userId: u.userId } as Principal })),
    ];
    const secrets = new Set<string>();
    for (const e of this.entries) {
      if (secrets.has(e.secret)) throw new KeyRingError("the same key is given twice (keys must be unique: a key names one principal)");
      secrets.add(e.secret);
    }
  }

  /** At least one key exists: callers must present one. */
  get configured(): boolean {
    return this.entries.length > 0;
  }

  principalFor(presented: string | undefined): Principal | undefined {
    return matchSecret(presented, this.entries);
  }
}

export function loadKeyRing(config: { apiKey: string | undefined; userApiKeys: readonly UserKey[]; dataDir: string }): KeyRing {
  return new KeyRing(config.apiKey, [...config.userApiKeys, ...readKeysFile(config.dataDir)]);
}

/** The user a JWT authorizer (AWS) authenticated, if this request went through one. */
export function jwtSubject(event: APIGatewayProxyEventV2): string | undefined {
  const ctx = event.requestContext as APIGatewayProxyEventV2["requestContext"] & { authorizer?: { jwt?: { claims?: Record<string, unknown> } } };
  const sub = ctx.authorizer?.jwt?.claims?.sub;
  return typeof sub === "string" && sub.length > 0 ? sub : undefined;
}

/**
 * The principal of a request, or undefined when it must be refused (401).
 * `keys.configured` false means no key exists here: loopback-only local use,
 * or AWS, where API Gateway's authorizers already decided.
 */
export function principalOf(event: APIGatewayProxyEventV2, presentedKey: string | undefined, keys: KeyRing): Principal | undefined {
  const sub = jwtSubject(event);
  if (sub) return { kind: "user", userId: sub };
  if (!keys.configured) return ADMIN;
  return keys.principalFor(presentedKey);
}
