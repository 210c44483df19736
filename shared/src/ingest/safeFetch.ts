/**
 * Fetch a document by URL without letting the URL reach what it should not.
 *
 * - Schemes: http, https and (only below configured folders) file.
 * - Every http(s) hop, the first and each redirect, is resolved once, every
 *   resolved address must be public (unless the policy says otherwise), and
 *   the connection is pinned to those addresses.
 * - One deadline covers the whole fetch; the body is cut off past maxBytes.
 * - Failures are PermanentError or TransientError subclasses (see errors.ts).
 *
 * @example
 * const doc = await safeFetch("https://example.org/paper.pdf", {
 *   allowPrivateNetworks: false,
 *   allowedFileRoots: [],
 * });
 */
import { Deadline } from "./deadline";
import {
  FetchNetworkError,
  FetchRefusedError,
  FetchTimeoutError,
  HttpStatusPermanentError,
  HttpStatusTransientError,
  RedirectError,
} from "./errors";
import { readAllowedFile } from "./fileSource";
import { resolveFetchPolicy, type FetchedDocument, type FetchPolicy, type ResolvedFetchPolicy } from "./fetchPolicy";
import { resolveVettedAddresses } from "./hostVetting";
import { readBodyWithLimit, requestOnce, type HttpResponseHead } from "./httpSource";
import { mediaTypeOf, parameterOf } from "./mediaType";

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** 4xx answers that describe a passing condition rather than a bad request. */
const TRANSIENT_CLIENT_STATUSES = new Set([408, 425, 429]);

export async function safeFetch(url: string, policy: FetchPolicy): Promise<FetchedDocument> {
  const resolved = resolveFetchPolicy(policy);
  const deadline = new Deadline(resolved.timeoutMs);
  try {
    const parsed = parseUrl(url);
    if (parsed.protocol === "file:") {
      return await deadline.race(readAllowedFile(parsed, resolved.allowedFileRoots, resolved.maxBytes));
    }
    return await fetchHttp(parsed, resolved, deadline);
  } catch (error) {
    // Whatever broke once the deadline passed (an aborted socket, a
    // half-read body) broke because of the deadline.
    if (deadline.expired) throw new FetchTimeoutError(resolved.timeoutMs);
    throw error;
  } finally {
    deadline.clear();
  }
}

async function fetchHttp(start: URL, policy: ResolvedFetchPolicy, deadline: Deadline): Promise<FetchedDocument> {
  let current = start;
  for (let redirects = 0; ; redirects++) {
    assertFetchableHttpUrl(current);
    const addresses = await resolveVettedAddresses(current, policy, deadline);
    const head = await requestOnce(current, addresses, { signal: deadline.signal, userAgent: policy.userAgent });

    if (REDIRECT_STATUSES.has(head.status)) {
      head.body.destroy(); // the redirect's own body is of no use
      if (redirects >= policy.maxRedirects) {
        throw new RedirectError(`more than ${policy.maxRedirects} redirects, last at ${current.href}`);
      }
      current = redirectTarget(head, current);
      continue;
    }
    if (head.status >= 200 && head.status < 300) {
      const bytes = await readBodyWithLimit(head, policy.maxBytes, current);
      const contentTypeHeader = head.headers["content-type"] ?? null;
      return {
        bytes,
        contentType: mediaTypeOf(contentTypeHeader),
        charset: parameterOf(contentTypeHeader, "charset"),
        finalUrl: current.href,
      };
    }
    head.body.destroy();
    throw statusError(head, current);
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new FetchRefusedError("invalid-url", `not a valid absolute URL: ${JSON.stringify(url.slice(0, 200))}`);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:" && parsed.protocol !== "file:") {
    throw unsupportedScheme(parsed);
  }
  return parsed;
}

/** Checked on every hop: a redirect may not lead to file:, ftp:, data: ... */
function assertFetchableHttpUrl(url: URL): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") throw unsupportedScheme(url);
  if (url.username !== "" || url.password !== "") {
    throw new FetchRefusedError("credentials-in-url", `refused to fetch ${url.host}: URLs with credentials are not fetched`);
  }
}

function unsupportedScheme(url: URL): FetchRefusedError {
  return new FetchRefusedError(
    "unsupported-scheme",
    `refused to fetch a ${url.protocol} URL: only http:, https: and file: are supported`,
  );
}

function redirectTarget(head: HttpResponseHead, from: URL): URL {
  const location = head.headers.location;
  if (!location) throw new RedirectError(`HTTP ${head.status} from ${from.href} without a Location header`);
  try {
    return new URL(location, from);
  } catch {
    throw new RedirectError(`HTTP ${head.status} from ${from.href} with an invalid Location: ${location.slice(0, 200)}`);
  }
}

function statusError(head: HttpResponseHead, url: URL): Error {
  const status = head.status;
  if (status >= 500 && status < 600) {
    return new HttpStatusTransientError(status, url.href, retryAfterSeconds(head.headers["retry-after"]));
  }
  if (TRANSIENT_CLIENT_STATUSES.has(status)) {
    return new HttpStatusTransientError(status, url.href, retryAfterSeconds(head.headers["retry-after"]));
  }
  if (status === 0) return new FetchNetworkError(`no status line from ${url.origin}`, null);
  return new HttpStatusPermanentError(status, url.href);
}

/** Retry-After is either delta-seconds or an HTTP date. */
export function retryAfterSeconds(header: string | undefined, now: Date = new Date()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, Math.round((date - now.getTime()) / 1000));
}
