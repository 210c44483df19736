/**
 * The embedders of a local process: the configured one, and any other by id
 * (needed while the library is re-embedded after a change of embedder:
 * app/embedderSwitch.ts). Only local processes import the sentence encoder,
 * so its model and TensorFlow.js stay out of Lambda bundles.
 */
import type { AppConfig } from "@shared/config";
import { createEmbedder, embedderWithId, type EmbedderOptions } from "@shared/adapters/embedders";
import { createSentenceEncoder, SENTENCE_ENCODER_ID } from "@shared/adapters/embedders/sentenceEncoder";
import type { Embedder } from "@shared/ports/embedder";

export interface LocalEmbedders {
  embedder: Embedder;
  embedderById: (id: string) => Embedder | undefined;
  /** Ends the encoder's thread, if one was started. */
  close(): Promise<void>;
}

export function createLocalEmbedders(config: AppConfig): LocalEmbedders {
  const options: EmbedderOptions = { bedrock: { modelId: config.bedrockModelId, region: config.awsRegion } };
  // One encoder per process, created on first use: its model loads on the first text it embeds.
  let encoder: ReturnType<typeof createSentenceEncoder> | undefined;
  const theEncoder = () => (encoder ??= createSentenceEncoder());
  const others = new Map<string, Embedder | undefined>();
  const embedder = config.embedder === "encoder" ? theEncoder() : createEmbedder(config.embedder, options);
  return {
    embedder,
    embedderById(id) {
      if (id === embedder.id) return embedder;
      if (id === SENTENCE_ENCODER_ID) return theEncoder();
      if (!others.has(id)) others.set(id, embedderWithId(id, options));
      return others.get(id);
    },
    async close() {
      await encoder?.close();
    },
  };
}
