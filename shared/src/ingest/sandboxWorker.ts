/**
 * The child process that parses untrusted documents (started by sandbox.ts).
 * It says "ready" once loaded, then answers one request at a time:
 * {@link SandboxRequest} in, {@link SandboxReply} out. A document that
 * exhausts this process's heap or time kills only this process.
 */
import { extractDocument, type ExtractedDocument, type ExtractInput } from "./extract";
import type { ExtractionLimits } from "./extractionLimits";

export interface SandboxRequest {
  input: ExtractInput;
  limits: ExtractionLimits;
}

export type SandboxReply =
  | { ready: true }
  | { ok: true; document: ExtractedDocument }
  | { ok: false; error: { name: string; message: string } };

if (process.send) {
  process.on("message", (request: SandboxRequest) => {
    void extractDocument(request.input, request.limits).then(
      (document) => reply({ ok: true, document }),
      (error: unknown) => reply({ ok: false, error: describe(error) }),
    );
  });
  // The parent went away: nothing left to answer.
  process.on("disconnect", () => process.exit(0));
  reply({ ready: true });
}

function reply(message: SandboxReply): void {
  process.send?.(message);
}

function describe(error: unknown): { name: string; message: string } {
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    // Deeply nested markup recursing in a parser.
    return { name: "DocumentTooComplexError", message: "document_too_complex: it is nested too deeply to parse" };
  }
  return error instanceof Error ? { name: error.name, message: error.message } : { name: "Error", message: String(error) };
}
