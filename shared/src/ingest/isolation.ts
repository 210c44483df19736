/**
 * How the ingestion task isolates the parse of untrusted bytes, chosen by
 * configuration (`EXTRACTION_ISOLATION`, docs/security.md):
 *
 * - `process` (the default; local worker processes): every extraction runs in
 *   the sandbox child (sandbox.ts) with its own heap limit and a wall-clock
 *   limit it can enforce by killing the child.
 * - `in-process-first` (set explicitly by the stack on every Lambda,
 *   infra/lib/function-environment.ts): the first attempt at a message parses
 *   in the function's own process, because a Lambda container is already a
 *   sandbox (its own memory cap and timeout, one invocation at a time) and
 *   forking the child cost ~0.5–1 s of every cold start. Every retry of the
 *   message (attempt ≥ 2) goes through the child sandbox, so a document that
 *   took the container down once (out of memory, or held the event loop until
 *   the function timeout) is refused with `document_too_complex` the second
 *   time, and the task gives up on it cleanly, instead of killing containers
 *   until the message reaches the DLQ.
 *
 * In process, the same limits apply as far as a process can apply them to
 * itself: the PDF page cap and inflated-bytes cap (checked before PDF.js
 * inflates anything), a wall-clock limit that fails the document when the
 * parse yields after it (PDF.js does, page by page) or returns after it (a
 * synchronous HTML parse), and a parser's stack overflow on deeply nested
 * markup. Not the heap limit: that is the function's memory.
 */
import { performance } from "node:perf_hooks";
import type { ExtractionIsolation } from "../config";
import { DocumentTooComplexError } from "./errors";
import { extractDocument, type ExtractedDocument, type ExtractInput } from "./extract";
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from "./extractionLimits";
import { extractInSandbox } from "./sandbox";


export interface IsolationChoice {
  isolation: ExtractionIsolation;
  /** The message's delivery attempt (1 on the first delivery). */
  attempt: number;
}

/** Extracts untrusted bytes under the configured isolation. */
export function extractUntrusted(input: ExtractInput, choice: IsolationChoice, limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS): Promise<ExtractedDocument> {
  return choice.isolation === "in-process-first" && choice.attempt <= 1 ? extractInProcess(input, limits) : extractInSandbox(input, limits);
}

/** The extraction in this process, under the limits a process can hold itself to (see the module comment). */
export async function extractInProcess(input: ExtractInput, limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS): Promise<ExtractedDocument> {
  const started = performance.now();
  const tooSlow = () => new DocumentTooComplexError(`extracting it took longer than ${Math.round(limits.timeoutMs / 1000)} s`);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(tooSlow()), limits.timeoutMs);
  });
  const extraction = extractDocument(input, limits);
  // Lost the race: its late failure is nobody's to handle.
  extraction.catch(() => undefined);
  try {
    const document = await Promise.race([extraction, deadline]);
    if (performance.now() - started > limits.timeoutMs) throw tooSlow();
    return document;
  } catch (error) {
    if (error instanceof RangeError && /call stack/i.test(error.message)) throw new DocumentTooComplexError("it is nested too deeply to parse");
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
