import type { Embedder } from "../../ports/embedder";
import { createBedrockEmbedder } from "./bedrockEmbedder";
import type { BedrockEmbedderOptions } from "./bedrockEmbedder";
import { createLocalEmbedder, LOCAL_EMBEDDER_ID } from "./localEmbedder";
import type { LocalEmbedderOptions } from "./localEmbedder";

/**
 * The embedders every runtime can build. The offline sentence encoder
 * (`encoder`, the local default) is not among them on purpose: it is built by
 * the local composition root only (local/src/embedders.ts), so its model and
 * TensorFlow.js never enter a Lambda bundle.
 */
export type EmbedderKind = "lexical" | "bedrock";

export interface EmbedderOptions {
  local?: LocalEmbedderOptions;
  bedrock?: BedrockEmbedderOptions;
}

/** Chooses the embedder at a composition root: "lexical" (feature hashing, offline) or "bedrock" (Titan, AWS). */
export function createEmbedder(kind: EmbedderKind, options: EmbedderOptions = {}): Embedder {
  switch (kind) {
    case "lexical":
      return createLocalEmbedder(options.local);
    case "bedrock":
      return createBedrockEmbedder(options.bedrock);
    default: {
      const unknown: never = kind;
      throw new Error(`Unknown embedder kind: ${String(unknown)}`);
    }
  }
}

/** An embedder these runtimes can build, by the id its vectors record (undefined: not one of them). */
export function embedderWithId(id: string, options: EmbedderOptions = {}): Embedder | undefined {
  if (id === LOCAL_EMBEDDER_ID) return createLocalEmbedder(options.local);
  if (!id.startsWith("bedrock:")) return undefined;
  const bedrock = createBedrockEmbedder(options.bedrock);
  return bedrock.id === id ? bedrock : undefined;
}

export { createLocalEmbedder, embedLexically, LOCAL_EMBEDDER_ID } from "./localEmbedder";
export { createBedrockEmbedder, TITAN_V2_MODEL_ID } from "./bedrockEmbedder";
export type { LocalEmbedderOptions } from "./localEmbedder";
export type { BedrockEmbedderOptions, InvokeModelSend } from "./bedrockEmbedder";
