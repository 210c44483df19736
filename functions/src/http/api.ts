/** Lambda entry: the HTTP API (API Gateway HTTP API, payload v2). */
import { createApiHandler } from "./router";
import { apiRoutes } from "./routeList";
import { getApp } from "../compose";

export const handler = createApiHandler(apiRoutes, getApp);
