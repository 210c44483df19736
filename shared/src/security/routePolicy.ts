/**
 * Who may call which API route: the one list read by the local server's
 * router, the `/openapi.json` document and the AWS HTTP API's routes and
 * authorizers (infra/lib/constructs/api.ts), so local and AWS cannot disagree.
 *
 * Decision (docs/security.md, "Route access"): there is no public read API.
 * The library may hold private documents, so only the health probe and the
 * API description are public. Per-user routes are called as a user (a user
 * key locally, a JWT on AWS) or by the admin; everything else needs the admin
 * key.
 */
export type RouteAccess = "public" | "user" | "admin";

export interface RouteRef {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** API Gateway style path: `/users/{id}/recommendations`. */
  path: string;
}

/** Anyone may call these: load balancers and humans reading the API description. They reveal no library data. */
export const PUBLIC_ROUTES: readonly RouteRef[] = [
  { method: "GET", path: "/health" },
  { method: "GET", path: "/openapi.json" },
];

/** A user's own data: the user comes from the authenticated principal, never from the request. */
export const USER_ROUTES: readonly RouteRef[] = [
  { method: "POST", path: "/interactions" },
  { method: "GET", path: "/users/{id}/recommendations" },
];

const has = (list: readonly RouteRef[], r: RouteRef) => list.some((x) => x.method === r.method && x.path === r.path);

export function accessOf(route: RouteRef): RouteAccess {
  if (has(PUBLIC_ROUTES, route)) return "public";
  if (has(USER_ROUTES, route)) return "user";
  return "admin";
}
