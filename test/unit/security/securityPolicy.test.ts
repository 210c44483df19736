/**
 * The security policy modules on their own (shared/src/security): one secret
 * comparison, one route list, keys and principals, the Host/Origin check, the
 * listen policy and the JSON media-type rule.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { matchSecret, sameSecret } from "@shared/security/constantTime";
import { accessOf, PUBLIC_ROUTES, USER_ROUTES } from "@shared/security/routePolicy";
import { KeyRing, KeyRingError, loadKeyRing, parseApiKeysEnv, principalOf } from "@shared/security/principal";
import { checkRequestOrigin } from "@shared/security/requestOrigin";
import { checkListenPolicy, isLoopbackHost } from "@shared/security/listenPolicy";
import { isJsonMediaType } from "@functions/http/router";
import { apiRoutes } from "@functions/http/routeList";

describe("sameSecret / matchSecret", () => {
  it("matches equal secrets only, whatever the lengths, and never an empty one", () => {
    expect(sameSecret("s3cret-key", "s3cret-key")).toBe(true);
    expect(sameSecret("s3cret-ke", "s3cret-key")).toBe(false);
    expect(sameSecret("s3cret-key-longer", "s3cret-key")).toBe(false);
    expect(sameSecret("", "")).toBe(false);
    expect(sameSecret(undefined, "x")).toBe(false);
  });
  it("finds which secret of several matched", () => {
    const list = [
      { secret: "aaaaaaaa", value: 1 },
      { secret: "bbbbbbbb", value: 2 },
    ];
    expect(matchSecret("bbbbbbbb", list)).toBe(2);
    expect(matchSecret("cccccccc", list)).toBeUndefined();
  });
  it("is the only secret comparison in the code base", async () => {
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync("grep", ["-rln", "timingSafeEqual", "shared/src", "functions/src", "local/src", "infra"], { encoding: "utf8" });
    expect(out.trim().split("\n")).toEqual(["shared/src/security/constantTime.ts"]);
  });
});

describe("route policy", () => {
  it("classifies every API route; only /health and /openapi.json are public", () => {
    expect(apiRoutes.filter((r) => accessOf(r) === "public").map((r) => `${r.method} ${r.path}`).sort()).toEqual(["GET /health", "GET /openapi.json"]);
    expect(apiRoutes.filter((r) => accessOf(r) === "user").map((r) => `${r.method} ${r.path}`).sort()).toEqual(USER_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // Every listed route exists (a renamed route must not silently fall out of the policy).
    for (const r of [...PUBLIC_ROUTES, ...USER_ROUTES]) expect(apiRoutes.some((a) => a.method === r.method && a.path === r.path), r.path).toBe(true);
    expect(accessOf({ method: "POST", path: "/resources" })).toBe("admin");
  });
});

describe("keys and principals", () => {
  const event = (claims?: Record<string, unknown>) =>
    ({ requestContext: { ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}) } }) as unknown as APIGatewayProxyEventV2;

  it("parses API_KEYS and refuses bad entries with a message", () => {
    expect(parseApiKeysEnv("alice@example.org=0123456789abcdef, bob=fedcba9876543210")).toEqual([
      { userId: "alice@example.org", key: "0123456789abcdef" },
      { userId: "bob", key: "fedcba9876543210" },
    ]);
    expect(parseApiKeysEnv(undefined)).toEqual([]);
    expect(() => parseApiKeysEnv("alice=short")).toThrow(/at least 16/);
    expect(() => parseApiKeysEnv("no-equals-sign")).toThrow(KeyRingError);
    expect(() => parseApiKeysEnv("bad user=0123456789abcdef")).toThrow(/userId/);
  });

  it("reads the keys file and refuses a broken one", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "keys-"));
    expect(loadKeyRing({ apiKey: undefined, userApiKeys: [], dataDir: dir }).configured).toBe(false);
    writeFileSync(path.join(dir, "api-keys.json"), JSON.stringify([{ userId: "carol", key: "carol-key-0123456789" }]));
    expect(loadKeyRing({ apiKey: undefined, userApiKeys: [], dataDir: dir }).principalFor("carol-key-0123456789")).toEqual({ kind: "user", userId: "carol" });
    writeFileSync(path.join(dir, "api-keys.json"), "{not json");
    expect(() => loadKeyRing({ apiKey: undefined, userApiKeys: [], dataDir: dir })).toThrow(/not valid JSON/);
  });

  it("resolves the admin key, user keys, JWT subjects; no key configured means the loopback operator", () => {
    const ring = new KeyRing("admin-key-123", [{ userId: "alice", key: "alice-key-0123456789" }]);
    expect(principalOf(event(), "admin-key-123", ring)).toEqual({ kind: "admin" });
    expect(principalOf(event(), "alice-key-0123456789", ring)).toEqual({ kind: "user", userId: "alice" });
    expect(principalOf(event(), "wrong", ring)).toBeUndefined();
    expect(principalOf(event(), undefined, ring)).toBeUndefined();
    expect(principalOf(event({ sub: "user-sub-1" }), undefined, ring)).toEqual({ kind: "user", userId: "user-sub-1" });
    expect(principalOf(event(), undefined, new KeyRing(undefined, []))).toEqual({ kind: "admin" });
    expect(() => new KeyRing("same-key-0123456789", [{ userId: "a", key: "same-key-0123456789" }])).toThrow(/twice/);
  });
});

describe("Host and Origin", () => {
  const policy = { allowedHosts: ["library.lan"] };
  const req = (method: string, headers: Record<string, string>) => ({ method, headers });
  it("serves IP literals, localhost and the allowed names; refuses any other Host (rebinding)", () => {
    for (const host of ["127.0.0.1:3000", "[::1]:3000", "localhost:3000", "192.0.2.2", "library.lan:8080"]) expect(checkRequestOrigin(req("GET", { host }), policy), host).toEqual({ ok: true });
    for (const host of ["attacker.example", "attacker.example:3000", "127.0.0.1.attacker.example"]) expect(checkRequestOrigin(req("GET", { host }), policy)).toMatchObject({ ok: false, status: 421 });
    expect(checkRequestOrigin(req("GET", {}), policy)).toMatchObject({ ok: false, status: 421 });
  });
  it("refuses a state-changing request from another origin, an opaque one, or one marked cross-site", () => {
    const host = "127.0.0.1:3000";
    expect(checkRequestOrigin(req("POST", { host }), policy)).toEqual({ ok: true });
    expect(checkRequestOrigin(req("POST", { host, origin: "http://127.0.0.1:3000" }), policy)).toEqual({ ok: true });
    for (const origin of ["http://evil.example", "null", "http://127.0.0.1:3001", "http://localhost:3000"]) {
      expect(checkRequestOrigin(req("DELETE", { host, origin }), policy), origin).toMatchObject({ ok: false, status: 403 });
    }
    expect(checkRequestOrigin(req("PATCH", { host, "sec-fetch-site": "cross-site" }), policy)).toMatchObject({ ok: false, status: 403 });
    // Reads from another origin are not writes (the browser keeps their answers from the page).
    expect(checkRequestOrigin(req("GET", { host, origin: "http://evil.example" }), policy)).toEqual({ ok: true });
  });
});

describe("listen policy and JSON media type", () => {
  it("needs a key beyond loopback", () => {
    for (const host of ["127.0.0.1", "::1", "localhost", "127.0.0.2"]) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "192.0.2.2", "example.org"]) expect(isLoopbackHost(host), host).toBe(false);
    expect(() => checkListenPolicy({ host: "0.0.0.0", apiKey: undefined })).toThrow(/API_KEY=\$\(openssl rand -hex 24\)/);
    expect(() => checkListenPolicy({ host: "0.0.0.0", apiKey: "a-long-key" })).not.toThrow();
    expect(() => checkListenPolicy({ host: "127.0.0.1", apiKey: undefined })).not.toThrow();
  });
  it("takes exactly application/json, parameters and case aside", () => {
    for (const t of ["application/json", "application/json; charset=utf-8", " Application/JSON "]) expect(isJsonMediaType(t), t).toBe(true);
    for (const t of [undefined, "", "text/plain; x=json", "application/jsonx", "application/json-patch+json", "text/json", "application/x-json"]) expect(isJsonMediaType(t), String(t)).toBe(false);
  });
});
