import { ok, route, type ApiRoute } from "../apiRoute";
import { openApiDocument } from "../openapi";

/** Routes about the API itself; `all` is the full list so the document can describe every route. */
export function systemRoutes(all: () => readonly ApiRoute[]): ApiRoute[] {
  return [
    route({
      method: "GET",
      path: "/health",
      summary: "Liveness and store reachability.",
      responses: { 200: "Healthy", 503: "Store unreachable" },
      async handle(_req, app) {
        const db = await app.store.healthCheck();
        return ok({ status: db.ok ? "ok" : "degraded", store: db, taskMode: app.config.taskMode }, db.ok ? 200 : 503);
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
