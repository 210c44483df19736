import type { Embedder } from "../../ports/embedder";
import { createBedrockEmbedder } from "./bedrockEmbedder";
import type { BedrockEmbedderOptions } from "./bedrockEmbedder";
import { createLocalEmbedder } from "./localEmbedder";
import type { LocalEmbedderOptions } from "./localEmbedder";

export type EmbedderKind = "local" | "bedrock";

export interface EmbedderOptions {
  local?: LocalEmbedderOptions;
  bedrock?: BedrockEmbedderOptions;
}

/** Chooses the embedder at a composition root: "local" offline (default), "bedrock" on AWS. */
export function createEmbedder(kind: EmbedderKind, options: EmbedderOptions = {}): Embedder {
  switch (kind) {
    case "local":
      return createLocalEmbedder(options.local);
    case "bedrock":
      return createBedrockEmbedder(options.bedrock);
    default: {
      const unknown: never = kind;
      throw new Error(`Unknown embedder kind: ${String(unknown)}`);
    }
  }
}

export { createLocalEmbedder, embedLexically, LOCAL_EMBEDDER_ID } from "./localEmbedder";
export { createBedrockEmbedder, TITAN_V2_MODEL_ID } from "./bedrockEmbedder";
export type { LocalEmbedderOptions } from "./localEmbedder";
export type { BedrockEmbedderOptions, InvokeModelSend } from "./bedrockEmbedder";
