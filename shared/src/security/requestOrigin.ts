/**
 * Defences against cross-site writes and DNS rebinding on the local server
 * (docs/security.md, "Cross-site requests"), checked from the headers alone:
 *
 * - Host: a page on `http://attacker.example` whose name is rebound to
 *   127.0.0.1 reaches the server with `Host: attacker.example`. Only IP
 *   literals, `localhost`, the configured HOST and ALLOWED_HOSTS are served;
 *   a rebinding attack always carries the attacker's name.
 * - Origin: a browser names the page that sent a request. A state-changing
 *   request from another origin (or from an opaque one, `null`) is refused, as
 *   is one a browser marks `Sec-Fetch-Site: cross-site`. Clients that are not
 *   browsers send neither header and are unaffected.
 */
import ipaddr from "ipaddr.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface OriginPolicy {
  /** Host names served besides IP literals and `localhost` (the configured HOST, ALLOWED_HOSTS). */
  allowedHosts: readonly string[];
}

export type OriginVerdict = { ok: true } | { ok: false; status: 403 | 421; reason: string };

function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.lastIndexOf(":");
  return colon > 0 && h.indexOf(":") === colon ? h.slice(0, colon) : h;
}

export function hostAllowed(hostHeader: string | undefined, policy: OriginPolicy): boolean {
  if (!hostHeader) return false;
  const name = hostnameOf(hostHeader);
  if (!name) return false;
  if (ipaddr.isValid(name)) return true;
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  return policy.allowedHosts.some((h) => h.toLowerCase() === name);
}

export function checkRequestOrigin(req: { method: string; headers: Record<string, string | string[] | undefined> }, policy: OriginPolicy): OriginVerdict {
  const header = (n: string) => {
    const v = req.headers[n];
    return Array.isArray(v) ? v[0] : v;
  };
  const host = header("host");
  if (!hostAllowed(host, policy)) {
    return { ok: false, status: 421, reason: `this server does not answer for host ${JSON.stringify(host ?? "")}; use its address or localhost, or add the name to ALLOWED_HOSTS` };
  }
  if (SAFE_METHODS.has(req.method.toUpperCase())) return { ok: true };
  if (header("sec-fetch-site") === "cross-site") return { ok: false, status: 403, reason: "cross-site request refused" };
  const origin = header("origin");
  if (origin === undefined) return { ok: true };
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    return { ok: false, status: 403, reason: "cross-origin request refused (opaque or invalid Origin)" };
  }
  if (originHost.toLowerCase() !== host!.trim().toLowerCase()) return { ok: false, status: 403, reason: `cross-origin request from ${origin} refused` };
  return { ok: true };
}
