/**
 * An Embedder that counts what reaches the model it wraps: how many calls and
 * how many texts. Tests and benchmarks put it in place of a running stack's
 * `app.embedder` to prove work was avoided (debounce, reuse by content hash).
 */
import type { Embedder } from "@shared/ports/embedder";

export interface CountingEmbedder extends Embedder {
  /** The wrapped embedder (call it directly to embed without counting). */
  readonly inner: Embedder;
  /** embed() calls so far. */
  readonly calls: number;
  /** Texts passed to embed() so far. */
  readonly texts: number;
}

export function countingEmbedder(inner: Embedder): CountingEmbedder {
  let calls = 0;
  let texts = 0;
  return {
    inner,
    id: inner.id,
    dimensions: inner.dimensions,
    get calls() {
      return calls;
    },
    get texts() {
      return texts;
    },
    embed(batch) {
      calls++;
      texts += batch.length;
      return inner.embed(batch);
    },
  };
}

/** Puts a counting wrapper in place of the stack's embedder and returns it. */
export function countEmbeddings(app: { embedder: Embedder }): CountingEmbedder {
  const counting = countingEmbedder(app.embedder);
  app.embedder = counting;
  return counting;
}
