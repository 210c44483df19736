/**
 * What the local HTTP server serves besides the API: the dashboard page (a
 * static HTML page and its script, no build step) and Prometheus `/metrics`.
 * The page holds no data and no secret; it calls the monitoring endpoints,
 * which check the API key. `/metrics` checks it too (`x-api-key`, or
 * `Authorization: Bearer <key>` as Prometheus scrapers send it).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type http from "node:http";
import type { PrometheusMetrics } from "@shared/observability/prometheus";
import { logger } from "@shared/observability/logger";
import { errorMessage } from "@shared/errors";
import type { ExtraRoute } from "../httpServer";
import { sameSecret } from "@shared/security/constantTime";

const here = path.dirname(fileURLToPath(import.meta.url));

const FILES: Record<string, { file: string; type: string }> = {
  "/dashboard": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/dashboard/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/dashboard/charts.js": { file: "charts.js", type: "text/javascript; charset=utf-8" },
  "/dashboard/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

// Only our own script and style; data is rendered as text, never as HTML.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function pathOf(req: http.IncomingMessage): string {
  return new URL(req.url ?? "/", "http://local").pathname;
}

export function dashboardRoute(): ExtraRoute {
  return async (req, res) => {
    const entry = FILES[pathOf(req)];
    if (!entry || (req.method !== "GET" && req.method !== "HEAD")) return false;
    // Read per request: the files are small, and editing the page needs no restart.
    const body = await readFile(path.join(here, entry.file));
    res.writeHead(200, {
      "content-type": entry.type,
      "cache-control": "no-cache",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
      "referrer-policy": "no-referrer",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function metricsRoute(metrics: PrometheusMetrics, apiKey: string | undefined): ExtraRoute {
  return async (req, res) => {
    if (pathOf(req) !== "/metrics" || req.method !== "GET") return false;
    if (apiKey) {
      const bearer = header(req, "authorization")?.match(/^Bearer\s+(.+)$/i)?.[1];
      if (!sameSecret(header(req, "x-api-key") ?? bearer, apiKey)) {
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" }).end(JSON.stringify({ error: "missing or wrong API key" }));
        return true;
      }
    }
    try {
      const text = await metrics.text();
      res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" }).end(text);
    } catch (e) {
      logger.error("metrics scrape failed", { error: errorMessage(e) });
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "metrics unavailable" }));
    }
    return true;
  };
}
