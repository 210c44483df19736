/**
 * What each format's extractor (PDF, HTML, Markdown, plain text) returns: the
 * one shape extract.ts turns into an ExtractedDocument by adding the detected
 * language, the content type and the citations.
 */
export interface FormatExtraction {
  /** Main text: paragraphs separated by "\n\n". */
  text: string;
  title: string | null;
  description: string | null;
  authors: string[];
  /** Declared by the document (ISO 639-1), or null; detection happens later. */
  language: string | null;
  /** Absolute http(s) link targets found in the main text. */
  links: string[];
}
