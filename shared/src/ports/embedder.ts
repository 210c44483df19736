/**
 * Turns text into a unit-length vector. Implementations: the offline lexical
 * embedder (feature hashing, the default) and Amazon Bedrock Titan.
 * Every implementation returns vectors of exactly `dimensions` floats.
 */
export interface Embedder {
  /** Stable identifier of the model; stored with each vector so a model change is detectable. */
  readonly id: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Dimensions of every stored vector (Titan Text Embeddings V2 supports 256, 512, 1024). */
export const EMBEDDING_DIMENSIONS = 512;
