/**
 * The reader's pages served by the local HTTP server (no build step): the
 * search page at `/`, and a resource's page at `/resources/{id}` when a
 * browser asks for HTML (`Accept: text/html` before JSON). Scripts and JSON
 * clients get the API's answer on the same path, unchanged. The pages hold
 * no data and no secret: their scripts call the API, render everything as
 * text, and keep an API key only in the tab's sessionStorage.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type http from "node:http";
import type { ExtraRoute } from "../httpServer";

const here = path.dirname(fileURLToPath(import.meta.url));

const HTML = "text/html; charset=utf-8";
const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

/** Fixed names only: no part of a request path becomes a file path. */
const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "search.html", type: HTML },
  "/index.html": { file: "search.html", type: HTML },
  "/ui/common.js": { file: "common.js", type: JS },
  "/ui/search.js": { file: "search.js", type: JS },
  "/ui/resource.js": { file: "resource.js", type: JS },
  "/ui/style.css": { file: "style.css", type: CSS },
};

const RESOURCE_PAGE = /^\/resources\/[A-Za-z0-9-]{1,100}\/?$/;

// Only our own scripts and style; documents are rendered as text, never as HTML.
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** True when the client prefers HTML to JSON, as a browser navigating does (and fetch() by default does not). */
export function wantsHtml(req: http.IncomingMessage): boolean {
  const accept = String(req.headers.accept ?? "");
  const html = accept.indexOf("text/html");
  if (html < 0) return false;
  const json = accept.indexOf("application/json");
  return json < 0 || html < json;
}

function pick(req: http.IncomingMessage): { file: string; type: string } | undefined {
  const pathname = new URL(req.url ?? "/", "http://local").pathname;
  const fixed = FILES[pathname];
  if (fixed) return fixed;
  if (RESOURCE_PAGE.test(pathname) && wantsHtml(req)) return { file: "resource.html", type: HTML };
  return undefined;
}

export function pagesRoute(): ExtraRoute {
  return async (req, res) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const entry = pick(req);
    if (!entry) return false;
    // Read per request: the files are small, and editing a page needs no restart.
    const body = await readFile(path.join(here, entry.file));
    res.writeHead(200, {
      "content-type": entry.type,
      "cache-control": "no-cache",
      // The same path answers JSON to scripts: caches must key on Accept.
      vary: "accept",
      "x-content-type-options": "nosniff",
      "content-security-policy": PAGE_CSP,
      "referrer-policy": "no-referrer",
    });
    res.end(req.method === "HEAD" ? undefined : body);
    return true;
  };
}
