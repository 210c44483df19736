/**
 * What every format's extractor (PDF, HTML, Markdown, plain text) gives
 * extractDocument: one shape, so a new format is one function and the
 * document-level steps (language detection, citations) stay in extract.ts.
 */
export interface FormatExtraction {
  /** Main text: paragraphs separated by "\n\n", whitespace collapsed inside them. */
  text: string;
  title: string | null;
  description: string | null;
  authors: string[];
  /** Declared by the document (ISO 639-1); null when it declares none (extract.ts then detects it). */
  language: string | null;
  /** Absolute http(s) links found in the main text (citation candidates). */
  links: string[];
}
