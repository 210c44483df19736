/**
 * An embedder that refuses, for good (a PermanentError: no retries), any text
 * holding `marker` while `refusing()` is true: a stage that fails until the
 * test lets it succeed, for the reprocess/retry tests.
 */
import { PermanentError } from "@shared/errors";
import type { Embedder } from "@shared/ports/embedder";

export function refusingEmbedder(inner: Embedder, marker: string, refusing: () => boolean): Embedder {
  return {
    id: inner.id,
    dimensions: inner.dimensions,
    embed(texts) {
      if (refusing() && texts.some((t) => t.includes(marker))) return Promise.reject(new PermanentError("the embedder refused this text"));
      return inner.embed(texts);
    },
  };
}
