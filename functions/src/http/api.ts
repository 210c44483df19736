/** Lambda entry: the HTTP API (API Gateway HTTP API, payload v2). */
import { createApiHandler } from "./router";
import { apiRoutes } from "./routeList";
import { getApp } from "../compose";
import { flushMetricsAfter } from "@shared/observability/emfMetrics";

// EMF metrics (EventsPublished, CacheHits/Misses) are flushed after each request that recorded any.
export const handler = flushMetricsAfter(createApiHandler(apiRoutes, getApp));
