/**
 * What one extraction of an untrusted document may use. Exceeding any of them
 * fails that document with `document_too_complex` (DocumentTooComplexError);
 * the process doing the extraction lives on (see sandbox.ts).
 */
export interface ExtractionLimits {
  /** V8 heap of the sandbox thread (old generation), in MiB. */
  heapMb: number;
  /** Wall-clock time of one extraction, parsing and citations included. */
  timeoutMs: number;
  /** PDFs with more pages are refused rather than read. */
  maxPages: number;
  /**
   * Sum of what a PDF's compressed non-image streams inflate to: a small PDF
   * whose Flate stream inflates to gigabytes (a decompression bomb) would
   * otherwise allocate them outside the heap limit.
   */
  maxInflatedBytes: number;
}

export const DEFAULT_EXTRACTION_LIMITS: ExtractionLimits = {
  heapMb: 384,
  timeoutMs: 60_000,
  maxPages: 2_000,
  maxInflatedBytes: 256 * 1024 * 1024,
};
