/**
 * An API route is data: method, path (who may call it: the route policy,
 * shared/src/security/routePolicy.ts), the zod schemas of its
 * input and a handler. The router, request validation and `/openapi.json` are
 * all derived from the same list, so documentation cannot drift from code.
 */
import * as z from "zod";
import type { AppContext } from "@shared/app/context";
import type { Principal } from "@shared/security/principal";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface ApiRequest<P = Record<string, string>, Q = Record<string, unknown>, B = unknown> {
  params: P;
  query: Q;
  body: B;
  headers: Record<string, string | undefined>;
  correlationId: string;
  /** Who is calling (shared/src/security/principal.ts); per-user routes act for this principal only. */
  principal: Principal;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Sent as is instead of `body` as JSON (e.g. NDJSON), with the content-type given in `headers`. */
  text?: string;
}

export interface ApiRoute {
  method: Method;
  /** API Gateway style: `/resources/{id}`. */
  path: string;
  summary: string;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  responses: Record<number, string>;
  handle(req: ApiRequest<never, never, never>, app: AppContext): Promise<ApiResponse>;
}

/** Helps handlers keep their request types while the route list stays homogeneous. */
export function route<P, Q, B>(
  def: Omit<ApiRoute, "handle" | "params" | "query" | "body"> & {
    params?: z.ZodType<P>;
    query?: z.ZodType<Q>;
    body?: z.ZodType<B>;
    handle(req: ApiRequest<P, Q, B>, app: AppContext): Promise<ApiResponse>;
  },
): ApiRoute {
  return def as unknown as ApiRoute;
}

export const ok = (body: unknown, status = 200): ApiResponse => ({ status, body });

/** The `{id}` of a resource path: anything but a plain id is refused before it reaches the store. */
export const idParams = z.object({ id: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, "id has invalid characters") });

/** A read of one resource's view: GET with `{id}`, 200 with what `read` returns (which throws NotFoundError for an unknown id). */
export function readById(def: { path: string; summary: string; responses: Record<number, string>; read(app: AppContext, id: string): Promise<unknown> }): ApiRoute {
  const { read, ...rest } = def;
  return route({
    method: "GET",
    params: idParams,
    ...rest,
    async handle(req, app) {
      return ok(await read(app, req.params.id));
    },
  });
}
