/**
 * What readers of a resource are told when its ingestion fails: a stable
 * code and a fixed sentence, never the internal message. Internal messages
 * name server paths (file:// sources), resolved addresses ("localhost resolves
 * to 127.0.0.1" is a DNS oracle for the network behind the server) and library
 * internals; they go to the log and to the task records behind /monitoring,
 * which need the API key.
 */
import { PermanentError, TransientError } from "../errors";
import {
  ContentTooLargeError,
  DocumentTooComplexError,
  FetchNetworkError,
  FetchRefusedError,
  FetchTimeoutError,
  HttpStatusPermanentError,
  HttpStatusTransientError,
  RedirectError,
  SourceNotFoundError,
  UnparseableContentError,
  UnsupportedContentError,
} from "./errors";

const REFUSAL_TEXT: Record<FetchRefusedError["reason"], string> = {
  "unsupported-scheme": "the URL's scheme is not fetched",
  "invalid-url": "the URL is not valid",
  "credentials-in-url": "URLs with a user name or password are not fetched",
  "private-address": "the URL is not allowed by the fetch policy",
  "file-access-disabled": "file URLs are not fetched here",
  "file-outside-allowed-roots": "the URL is not allowed by the fetch policy",
  "not-a-regular-file": "the URL is not allowed by the fetch policy",
};

/** "code: sentence", safe to show to anyone who can read the resource. */
export function publicIngestionError(error: unknown): string {
  if (error instanceof DocumentTooComplexError) return error.message; // built from limits only
  if (error instanceof FetchRefusedError) return `fetch_refused: ${REFUSAL_TEXT[error.reason]}`;
  if (error instanceof ContentTooLargeError) return `content_too_large: the document is larger than ${error.limitBytes} bytes`;
  if (error instanceof HttpStatusPermanentError || error instanceof HttpStatusTransientError) return `fetch_failed: the server answered HTTP ${error.status}`;
  if (error instanceof RedirectError) return "fetch_failed: too many or unusable redirects";
  if (error instanceof FetchTimeoutError) return "fetch_timeout: the document could not be fetched in time";
  if (error instanceof FetchNetworkError) return "fetch_failed: the server could not be reached";
  if (error instanceof SourceNotFoundError) return "source_not_found: the document could not be read";
  if (error instanceof UnsupportedContentError) return "unsupported_content: this kind of document is not extracted";
  if (error instanceof UnparseableContentError) return "unparseable_content: the document could not be parsed, or holds no text";
  if (error instanceof PermanentError) return "ingestion_failed: the document could not be ingested";
  if (error instanceof TransientError) return "ingestion_failed: the document could not be ingested after retries";
  return "ingestion_failed: the document could not be ingested";
}
