/**
 * Document ingestion library: safe fetching and text/metadata extraction.
 * Pure functions and errors only; no queue or store code lives here.
 */
export { safeFetch, retryAfterSeconds } from "./safeFetch";
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  type FetchedDocument,
  type FetchPolicy,
} from "./fetchPolicy";
export { extractDocument, type ExtractedDocument, type ExtractInput } from "./extract";
export { sniffContentType, contentTypeForFileName, type SupportedContentType } from "./sniff";
export {
  extractCitations,
  citationKeysForUrl,
  citationKeyString,
  normaliseUrl,
  type Citation,
  type CitationKey,
  type CitationKind,
} from "./citations";
export { parseAuthorList } from "./authors";
export { detectLanguage, languageFromTag } from "./language";
export { classifyAddress } from "./addressPolicy";
export * from "./errors";
