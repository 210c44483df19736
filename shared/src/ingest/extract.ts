/**
 * Bytes → clean text and metadata, for every supported format.
 *
 * @example
 * const fetched = await safeFetch(url, policy);
 * const doc = await extractDocument({ bytes: fetched.bytes, contentType: fetched.contentType,
 *   charset: fetched.charset, url: fetched.finalUrl });
 */
import { citationKeysForUrl, citationKeyString, extractCitations, type Citation } from "./citations";
import { decodeText } from "./decode";
import { UnparseableContentError } from "./errors";
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from "./extractionLimits";
import type { FormatExtraction } from "./formatExtraction";
import { detectLanguage } from "./language";
import { extractMarkdown } from "./markdownExtract";
import { extractPdf } from "./pdfExtract";
import { extractPlainText } from "./plainTextExtract";
import { sniffContentType, type SupportedContentType } from "./sniff";

export interface ExtractInput {
  bytes: Uint8Array;
  /** Declared media type (parameters allowed), or null. The bytes have the last word. */
  contentType: string | null;
  /** Where the bytes came from: its extension helps sniffing, and it is the base for relative links. */
  url?: string | null;
  /** Declared charset, e.g. FetchedDocument.charset. */
  charset?: string | null;
}

export interface ExtractedDocument {
  /** Main text: paragraphs separated by "\n\n", whitespace collapsed inside them. */
  text: string;
  title: string | null;
  description: string | null;
  authors: string[];
  /** ISO 639-1 ("en"), declared by the document or detected; null if unsure. */
  language: string | null;
  contentType: SupportedContentType;
  citations: Citation[];
}


/**
 * Parse in the calling thread. Untrusted bytes go through
 * {@link extractInSandbox} (sandbox.ts), which runs this under memory and time limits.
 */
export async function extractDocument(input: ExtractInput, limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS): Promise<ExtractedDocument> {
  if (input.bytes.length === 0) throw new UnparseableContentError("the document is empty");
  const contentType = sniffContentType({
    bytes: input.bytes,
    declaredType: input.contentType,
    fileName: pathOf(input.url),
  });
  const extraction = await extractByType(contentType, input, limits);
  if (extraction.text === "") {
    throw new UnparseableContentError(
      contentType === "application/pdf"
        ? "the PDF has no text layer (scanned pages need OCR, which is not supported)"
        : "no text could be extracted from the document",
    );
  }
  return {
    text: extraction.text,
    title: extraction.title,
    description: extraction.description,
    authors: extraction.authors,
    language: extraction.language ?? detectLanguage(extraction.text),
    contentType,
    citations: withoutSelfCitations(extractCitations(extraction.text, extraction.links), input.url),
  };
}

async function extractByType(contentType: SupportedContentType, input: ExtractInput, limits: ExtractionLimits): Promise<FormatExtraction> {
  switch (contentType) {
    case "application/pdf":
      return extractPdf(input.bytes, limits);
    case "text/html": {
      // Loaded on first use (linkedom, Readability): processes that never parse HTML never compile them.
      const { extractHtml } = await import("./htmlExtract");
      return extractHtml(input.bytes, { charset: input.charset, url: input.url });
    }
    case "text/markdown":
      return extractMarkdown(decodeText(input.bytes, { charset: input.charset }));
    case "text/plain":
      return extractPlainText(decodeText(input.bytes, { charset: input.charset }));
  }
}

/** A page's link to itself (canonical, permalink) is not a citation. */
function withoutSelfCitations(citations: Citation[], url: string | null | undefined): Citation[] {
  if (!url) return citations;
  const own = new Set(citationKeysForUrl(url).map(citationKeyString));
  return citations.filter((citation) => !own.has(citationKeyString(citation)));
}

function pathOf(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
