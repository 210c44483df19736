/**
 * The HTTP API as one Lambda handler (API Gateway HTTP API, payload v2):
 * middy + http-router over the route list, with validation, API-key checks,
 * correlation ids and errors that are always JSON with a message. A client
 * can cause a 4xx, never a 500.
 */
import middy from "@middy/core";
import httpRouterHandler from "@middy/http-router";
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from "aws-lambda";
import { ZodError } from "zod";
import type * as z from "zod";
import { HttpError } from "@shared/errors";
import { safeCorrelationId } from "@shared/observability/correlationId";
import { logger } from "@shared/observability/logger";
import type { AppContext } from "@shared/app/context";
import type { ApiRoute } from "./apiRoute";
import type { AppConfig } from "@shared/config";
import { accessOf } from "@shared/security/routePolicy";
import { ANONYMOUS, loadKeyRing, principalOf, type KeyRing } from "@shared/security/principal";

export type ApiHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<APIGatewayProxyResultV2>;

function json(status: number, body: unknown, correlationId: string, headers: Record<string, string> = {}): APIGatewayProxyResultV2 {
  return {
    statusCode: status,
    headers: { "content-type": "application/json; charset=utf-8", "x-correlation-id": correlationId, ...headers },
    body: body === null ? "" : JSON.stringify(body),
  };
}

/** The key ring of a configuration, read once (the keys file too: a new key needs a restart). */
const keyRings = new WeakMap<AppConfig, KeyRing>();
export function keyRingFor(config: AppConfig): KeyRing {
  let ring = keyRings.get(config);
  if (!ring) {
    ring = loadKeyRing(config);
    keyRings.set(config, ring);
  }
  return ring;
}

/**
 * The media type's essence (RFC 9110: type/subtype, parameters dropped) must be
 * exactly application/json. Anything looser lets a browser send a JSON body
 * cross-site without a preflight (`text/plain; x=json`, or no type at all).
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "application/json";
}

function lowerHeaders(h: APIGatewayProxyEventV2["headers"]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function validate<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const first = res.error.issues[0];
  const field = first?.path.length ? first.path.join(".") : where;
  throw new HttpError(400, `invalid ${where}: ${field}: ${first?.message ?? "invalid"}`, { field, issues: res.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
}

/**
 * Refuses a body over the deployment's limit with a 413 that says what to do
 * (on AWS the platform's own limits would otherwise fail larger requests with
 * an opaque error: see DEFAULT_MAX_REQUEST_BYTES). The size counted is the
 * body as it arrived, base64 included, since that is what the platform carries.
 */
function checkBodySize(event: APIGatewayProxyEventV2, maxBytes: number): void {
  if (!event.body) return;
  const bytes = Buffer.byteLength(event.body, "utf8");
  if (bytes <= maxBytes) return;
  throw new HttpError(
    413,
    `request body is ${bytes} bytes; this API accepts at most ${maxBytes} bytes (${(maxBytes / 1024 / 1024).toFixed(1)} MiB) per request. Send a larger document by its URL instead ({"url": "https://..."}), which ingestion fetches itself.`,
    { limitBytes: maxBytes, bodyBytes: bytes },
  );
}

function parseBody(event: APIGatewayProxyEventV2): unknown {
  if (!event.body) return undefined;
  const text = event.isBase64Encoded ? Buffer.from(event.body, "base64").toString("utf8") : event.body;
  if (!isJsonMediaType(lowerHeaders(event.headers)["content-type"])) throw new HttpError(415, "request body must be sent with content-type: application/json");
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "request body is not valid JSON");
  }
}

export function createApiHandler(routes: readonly ApiRoute[], getApp: () => Promise<AppContext>): ApiHandler {
  const routed = routes.map((r) => ({
    method: r.method,
    path: r.path,
    handler: async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
      const headers = lowerHeaders(event.headers);
      const correlationId = safeCorrelationId(headers["x-correlation-id"]);
      const app = await getApp();
      checkBodySize(event, app.config.maxRequestBytes);
      const access = accessOf(r);
      const principal = principalOf(event, headers["x-api-key"], keyRingFor(app.config));
      if (access !== "public" && !principal) return json(401, { error: "missing or wrong x-api-key" }, correlationId);
      if (access === "admin" && principal?.kind !== "admin") return json(403, { error: "this route needs the admin key" }, correlationId);
      const params = validate(r.params, event.pathParameters ?? {}, "path");
      const query = validate(r.query, event.queryStringParameters ?? {}, "query");
      const body = r.body ? validate(r.body, parseBody(event), "body") : undefined;
      const res = await r.handle({ params, query, body, headers, correlationId, principal: principal ?? ANONYMOUS } as never, app);
      if (res.text !== undefined) return { statusCode: res.status, headers: { "x-correlation-id": correlationId, ...res.headers }, body: res.text };
      return json(res.status, res.body, correlationId, res.headers);
    },
  }));

  const router = httpRouterHandler<APIGatewayProxyEventV2, APIGatewayProxyResultV2>({
    routes: routed,
    notFoundResponse: ({ method, path }) => {
      throw new HttpError(404, `no route ${method} ${path}`);
    },
  });

  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyResultV2>()
    .onError(async (request) => {
      const error = request.error;
      const correlationId = safeCorrelationId(lowerHeaders(request.event.headers)["x-correlation-id"]);
      if (error instanceof HttpError) {
        request.response = json(error.status, { error: error.message, ...(error.details ?? {}) }, correlationId);
        return;
      }
      if (error instanceof ZodError) {
        request.response = json(400, { error: error.issues[0]?.message ?? "invalid input" }, correlationId);
        return;
      }
      const status = (error as { statusCode?: number } | null)?.statusCode;
      if (typeof status === "number" && status >= 400 && status < 500) {
        request.response = json(status, { error: (error as Error).message || "bad request" }, correlationId);
        return;
      }
      logger.error("request failed", { path: request.event.rawPath, error: error instanceof Error ? { message: error.message, stack: error.stack } : String(error), correlationId });
      // The detail stays in the log, found by this id; the client learns nothing about the server.
      request.response = json(500, { error: "internal error", requestId: correlationId }, correlationId);
    })
    .handler(router as never);

  return (event, context) => handler(event, context ?? ({} as Context)) as Promise<APIGatewayProxyResultV2>;
}
