import { ok, route, type ApiRoute } from "../apiRoute";
import { openApiDocument } from "../openapi";
import { logger } from "@shared/observability/logger";

/** Routes about the API itself; `all` is the full list so the document can describe every route. */
export function systemRoutes(all: () => readonly ApiRoute[]): ApiRoute[] {
  return [
    route({
      method: "GET",
      path: "/health",
      summary: "Liveness and store reachability.",
      responses: { 200: "Healthy", 503: "Store unreachable" },
      async handle(req, app) {
        const db = await app.store.healthCheck();
        // Public: the store's own error (addresses, sometimes credentials) goes to the log and to
        // /monitoring/store, which needs the key; this answer says only whether it is reachable.
        if (!db.ok) logger.warn("health check: store unreachable", { error: db.error, correlationId: req.correlationId });
        return ok({ status: db.ok ? "ok" : "degraded", store: { ok: db.ok, latencyMs: db.latencyMs }, taskMode: app.config.taskMode }, db.ok ? 200 : 503);
      },
    }),
    route({
      method: "GET",
      path: "/openapi.json",
      summary: "This API's OpenAPI 3.1 document.",
      responses: { 200: "OpenAPI document" },
      async handle() {
        return ok(openApiDocument(all()));
      },
    }),
  ];
}
