/**
 * Counts the embedding model's refusals for capacity (Bedrock's
 * ThrottlingException, HTTP 429) as the degraded mode `embedder-throttled`.
 * The error still propagates: the task is retried with backoff, so vectors
 * lag instead of being lost, and the metric says why they lag.
 */
import type { Embedder } from "../ports/embedder";
import { DegradedModes, reportDegraded } from "./degradation";

/** The same embedder (every other member forwarded as is), with throttling counted. */
export function reportingThrottling(embedder: Embedder): Embedder {
  const embed: Embedder["embed"] = async (texts) => {
    try {
      return await embedder.embed(texts);
    } catch (error) {
      if (isThrottling(error)) reportDegraded(DegradedModes.embedderThrottled, `${embedder.id} refused ${texts.length} text(s) for capacity`);
      throw error;
    }
  };
  return new Proxy(embedder, {
    get(target, prop, receiver) {
      if (prop === "embed") return embed;
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The error, or one of its causes, is a throttling answer. */
export function isThrottling(error: unknown): boolean {
  for (let e = error, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const candidate = e as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
    if (candidate.name === "ThrottlingException" || candidate.$metadata?.httpStatusCode === 429) return true;
    if (typeof candidate.message === "string" && /ThrottlingException/.test(candidate.message)) return true;
  }
  return false;
}
