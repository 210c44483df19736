/**
 * The local stand-in for API Gateway: turns each HTTP request into an API
 * Gateway HTTP API (v2) event, calls the same handler Lambda runs, and writes
 * its result back. Bodies over the limit get 413 before the handler sees them.
 */
import http from "node:http";
import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { ApiHandler } from "../../functions/src/http/router";
import { safeCorrelationId } from "../../shared/src/observability/correlationId";
import { logger } from "../../shared/src/observability/logger";

export type ExtraRoute = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

class BodyTooLarge extends Error {}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      reject(new BodyTooLarge());
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
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

export function startHttpServer(options: { handler: ApiHandler; port: number; host: string; maxBodyBytes: number; extraRoutes?: ExtraRoute[] }): Promise<http.Server> {
  const server = http.createServer(async (req, res) => {
    try {
      for (const extra of options.extraRoutes ?? []) if (await extra(req, res)) return;
      let body: Buffer;
      try {
        body = await readBody(req, options.maxBodyBytes);
      } catch (e) {
        if (e instanceof BodyTooLarge) {
          res.writeHead(413, { "content-type": "application/json", connection: "close" }).end(JSON.stringify({ error: `request body over ${options.maxBodyBytes} bytes` }));
          return;
        }
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
    }
  });
  server.requestTimeout = 120_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve(server));
  });
}
