/**
 * Errors raised while fetching and extracting documents.
 *
 * Each one extends {@link PermanentError} or {@link TransientError} so the task
 * runner knows, without inspecting messages, whether a retry can help: a
 * refused URL or an unparseable PDF stays refused, a timeout or a 503 may not.
 */
import { PermanentError, TransientError } from "../errors";

/** Why a URL was refused before (or instead of) being fetched. */
export type RefusalReason =
  | "unsupported-scheme"
  | "invalid-url"
  | "credentials-in-url"
  | "private-address"
  | "file-access-disabled"
  | "file-outside-allowed-roots"
  | "not-a-regular-file";

/** The URL may not be fetched under the policy; retrying cannot change that. */
export class FetchRefusedError extends PermanentError {
  override name = "FetchRefusedError";
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The body is (or would be) larger than the policy's byte limit. */
export class ContentTooLargeError extends PermanentError {
  override name = "ContentTooLargeError";
  constructor(readonly limitBytes: number) {
    super(`content exceeds the limit of ${limitBytes} bytes`);
  }
}

/** More redirects than the policy allows, or a redirect without a usable Location. */
export class RedirectError extends PermanentError {
  override name = "RedirectError";
}

/** The file behind a file:// URL does not exist or cannot be read. */
export class SourceNotFoundError extends PermanentError {
  override name = "SourceNotFoundError";
}

/**
 * The server answered with a status that a retry will not fix (4xx other than
 * 408/429, or an unexpected 1xx/3xx).
 */
export class HttpStatusPermanentError extends PermanentError {
  override name = "HttpStatusPermanentError";
  constructor(
    readonly status: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

/**
 * The server answered 5xx, 429 or 408: worth retrying later. `retryAfterSeconds`
 * carries the server's Retry-After hint when it sent one.
 */
export class HttpStatusTransientError extends TransientError {
  override name = "HttpStatusTransientError";
  constructor(
    readonly status: number,
    readonly url: string,
    readonly retryAfterSeconds: number | null,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

/** The whole fetch (DNS, connect, headers, body, redirects) ran past its deadline. */
export class FetchTimeoutError extends TransientError {
  override name = "FetchTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`fetch did not complete within ${timeoutMs} ms`);
  }
}

/** DNS failure, refused or reset connection, TLS failure, truncated body... */
export class FetchNetworkError extends TransientError {
  override name = "FetchNetworkError";
  constructor(
    message: string,
    readonly code: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The bytes are of a kind we do not extract (images, archives, binaries...). */
export class UnsupportedContentError extends PermanentError {
  override name = "UnsupportedContentError";
}

/** The bytes claim to be a supported format but cannot be parsed, or hold no text. */
export class UnparseableContentError extends PermanentError {
  override name = "UnparseableContentError";
}

/**
 * The document would take more memory, time, pages or inflated bytes than an
 * extraction may use (a decompression bomb, a pathological page). Retrying
 * cannot help. Its message starts with the public code `document_too_complex`.
 */
export class DocumentTooComplexError extends PermanentError {
  override name = "DocumentTooComplexError";
  readonly code = "document_too_complex";
  constructor(reason: string) {
    super(`document_too_complex: ${reason}`);
  }
}
