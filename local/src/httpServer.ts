/**
 * The local stand-in for API Gateway: turns each HTTP request into an API
 * Gateway HTTP API (v2) event, calls the same handler Lambda runs, and writes
 * its result back.
 *
 * Like API Gateway, it decides what it can from the headers before reading a
 * body (requestGate.ts: host/origin, route, key, declared length), and it
 * bounds what hostile clients can hold: a connection cap, header and request
 * timeouts, and one budget for the body bytes buffered across all requests
 * (bodyBudget.ts; 503 with Retry-After when it is spent).
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ApiHandler } from "@functions/http/router";
import { BodyBudget } from "./bodyBudget";
import type { Refusal, RequestGate } from "./requestGate";
import { safeCorrelationId } from "@shared/observability/correlationId";
import { logger } from "@shared/observability/logger";

export type ExtraRoute = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

/** Seconds a client is asked to wait when the body budget is spent. */
const RETRY_AFTER_SECONDS = 5;

export interface HttpLimits {
  /** Open connections at most; more are dropped by the kernel-facing accept (server.maxConnections). */
  maxConnections: number;
  /** Body bytes held in memory across all requests at once. */
  maxBufferedBytes: number;
  /** A request (headers and body) must arrive within this. */
  requestTimeoutMs: number;
}

export function defaultLimits(maxBodyBytes: number): HttpLimits {
  return { maxConnections: 512, maxBufferedBytes: Math.max(64 * 1024 * 1024, 4 * maxBodyBytes), requestTimeoutMs: 60_000 };
}

export interface LocalHttpServer extends http.Server {
  /** Body bytes buffered right now, across every request being read. */
  bufferedBytes(): number;
}

class BodyTooLarge extends Error {}
class BudgetSpent extends Error {}

function readBody(req: http.IncomingMessage, limit: number, budget: BodyBudget): { body: Promise<Buffer>; reserved: () => number } {
  let reserved = 0;
  const body = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let failed = false;
    const fail = (e: Error) => {
      if (failed) return;
      failed = true;
      budget.release(reserved);
      reserved = 0;
      chunks.length = 0;
      reject(e);
    };
    req.on("data", (c: Buffer) => {
      if (failed) return;
      if (reserved + c.length > limit) return fail(new BodyTooLarge());
      if (!budget.tryReserve(c.length)) return fail(new BudgetSpent());
      reserved += c.length;
      chunks.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", fail);
    // A client that goes away mid-body frees what it held at once.
    req.on("close", () => {
      if (!req.complete) fail(new Error("request aborted"));
    });
  });
  return { body, reserved: () => reserved };
}

function refuse(res: http.ServerResponse, refusal: Refusal): void {
  // `connection: close`: the unread body is not drained, the socket just goes.
  res.writeHead(refusal.status, { "content-type": "application/json; charset=utf-8", connection: "close", ...(refusal.headers ?? {}) });
  res.end(JSON.stringify({ error: refusal.error }));
}

export function toApiGatewayEvent(req: http.IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? "/", "http://local");
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  const method = (req.method ?? "GET").toUpperCase();
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: "000000000000",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: { method, path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? "127.0.0.1", userAgent: headers["user-agent"] ?? "" },
      requestId: randomUUID(),
      routeKey: "$default",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString("utf8") } : {}),
    isBase64Encoded: false,
  };
}

export interface HttpServerOptions {
  handler: ApiHandler;
  port: number;
  host: string;
  maxBodyBytes: number;
  extraRoutes?: ExtraRoute[];
  /** Checked before the extra routes (host/origin). */
  originGate?: RequestGate;
  /** Checked before an API request's body is read (route, key, declared length). */
  apiGate?: RequestGate;
  limits?: Partial<HttpLimits>;
}

export function startHttpServer(options: HttpServerOptions): Promise<LocalHttpServer> {
  const limits = { ...defaultLimits(options.maxBodyBytes), ...options.limits };
  const budget = new BodyBudget(limits.maxBufferedBytes);
  const server = http.createServer(async (req, res) => {
    let reading: ReturnType<typeof readBody> | undefined;
    try {
      const early = options.originGate?.(req);
      if (early) return refuse(res, early);
      for (const extra of options.extraRoutes ?? []) if (await extra(req, res)) return;
      const refusal = options.apiGate?.(req);
      if (refusal) return refuse(res, refusal);
      reading = readBody(req, options.maxBodyBytes, budget);
      let body: Buffer;
      try {
        body = await reading.body;
      } catch (e) {
        if (e instanceof BodyTooLarge) return refuse(res, { status: 413, error: `request body over ${options.maxBodyBytes} bytes` });
        if (e instanceof BudgetSpent) {
          return refuse(res, { status: 503, error: "the server is holding as many request bodies as it may; retry shortly", headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });
        }
        if (req.destroyed) return;
        throw e;
      }
      const result = (await options.handler(toApiGatewayEvent(req, body))) as APIGatewayProxyStructuredResultV2;
      res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
      res.end(result.body ?? "");
    } catch (e) {
      // The detail stays in the log, found by the request id; the client learns nothing about the server.
      const requestId = safeCorrelationId(req.headers["x-correlation-id"]?.toString());
      logger.error("request failed", { path: req.url?.slice(0, 200), error: e instanceof Error ? { message: e.message, stack: e.stack } : String(e), correlationId: requestId });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json", "x-correlation-id": requestId });
      res.end(JSON.stringify({ error: "internal error", requestId }));
    } finally {
      if (reading) budget.release(reading.reserved());
    }
  }) as LocalHttpServer;
  server.bufferedBytes = () => budget.bufferedBytes;
  server.maxConnections = limits.maxConnections;
  // Longer than the usual 60 s idle timeout of proxies and load balancers in front, so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = limits.requestTimeoutMs;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
