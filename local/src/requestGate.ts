/**
 * What the local server decides from a request's headers alone, before it
 * reads one byte of the body: the host/origin check, the route, the caller's
 * key and the declared length. An unauthenticated or misdirected upload is
 * answered at once and never buffered (docs/security.md, "Request limits").
 * The router checks the same things again on the parsed request (on AWS it is
 * the only check besides API Gateway's authorizers).
 */
import type http from "node:http";
import { accessOf } from "@shared/security/routePolicy";
import type { KeyRing } from "@shared/security/principal";
import { checkRequestOrigin, type OriginPolicy } from "@shared/security/requestOrigin";
import type { Method } from "@functions/http/apiRoute";

export interface Refusal {
  status: number;
  error: string;
  headers?: Record<string, string>;
}

export type RequestGate = (req: http.IncomingMessage) => Refusal | undefined;

interface CompiledRoute {
  method: Method;
  path: string;
  pattern: RegExp;
}

function compile(route: { method: Method; path: string }): CompiledRoute {
  const source = route.path
    .split("/")
    .map((seg) => (/^\{[^}]+\}$/.test(seg) ? "[^/]+" : seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
    .join("/");
  return { ...route, pattern: new RegExp(`^${source}/?$`) };
}

/** Host/origin only: for what the server serves besides the API (dashboard, /metrics). */
export function originGate(policy: OriginPolicy): RequestGate {
  return (req) => {
    const verdict = checkRequestOrigin({ method: req.method ?? "GET", headers: req.headers }, policy);
    return verdict.ok ? undefined : { status: verdict.status, error: verdict.reason };
  };
}

export function apiGate(options: { routes: ReadonlyArray<{ method: Method; path: string }>; keys: () => KeyRing; maxBodyBytes: number }): RequestGate {
  const routes = options.routes.map(compile);
  return (req) => {
    const method = (req.method ?? "GET").toUpperCase();
    const pathname = new URL(req.url ?? "/", "http://local").pathname;
    const route = routes.find((r) => r.method === method && r.pattern.test(pathname));
    // The router's own 404 body, so the answer does not depend on which check ran.
    if (!route) return { status: 404, error: `no route ${method} ${pathname}` };
    const access = accessOf(route);
    const keys = options.keys();
    if (access !== "public" && keys.configured) {
      const presented = req.headers["x-api-key"];
      const principal = keys.principalFor(Array.isArray(presented) ? presented[0] : presented);
      if (!principal) return { status: 401, error: "missing or wrong x-api-key" };
      if (access === "admin" && principal.kind !== "admin") return { status: 403, error: "this route needs the admin key" };
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > options.maxBodyBytes) return { status: 413, error: `request body over ${options.maxBodyBytes} bytes` };
    return undefined;
  };
}
