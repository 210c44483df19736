import type { Embedder } from "../../ports/embedder";
import { EMBEDDING_DIMENSIONS } from "../../ports/embedder";
import { l2Norm, l2NormalizeInPlace, emptyTextVector } from "../../domain/vectors";
import { ENGLISH_STOPWORDS, lightStem, tokenize } from "../../domain/text";
import { addHashedFeature } from "./featureHashing";

/**
 * The offline default embedder: a LEXICAL vector, not a semantic one.
 *
 * It hashes three families of features into one 512-dimensional space:
 * - word unigrams (stopwords removed, lightly stemmed): what the text is about;
 * - word bigrams: short phrases ("vector search", "interest rate");
 * - character 3–5-grams of each word, with boundary marks: spelling variants,
 *   inflections and compounds still overlap ("embedding" / "embeddings").
 * Each family is weighted by sublinear term frequency (1 + ln tf), built as
 * its own vector, L2-normalised, then mixed with fixed weights, so a long text
 * cannot let one family (character n-grams are ~10x more numerous) drown the
 * others. The result is L2-normalised.
 *
 * Texts that share vocabulary end up close; synonyms with no shared letters do
 * not. That is enough for "find the document that talks about X" offline and
 * in tests; Bedrock Titan is the semantic model in production.
 */
export const LOCAL_EMBEDDER_ID = "local-lexical-v1";

/** Relative weight of each feature family in the final vector (squared weights sum to 1). */
const FAMILY_WEIGHTS = { unigram: Math.sqrt(0.5), bigram: Math.sqrt(0.2), charGram: Math.sqrt(0.3) } as const;
// Distinct seeds keep "ab" the word, "ab" in a bigram and "ab" the n-gram apart.
const FAMILY_SEEDS = { unigram: 0x9e3779b1, bigram: 0x85ebca77, charGram: 0xc2b2ae3d } as const;
const CHAR_GRAM_SIZES = [3, 4, 5] as const;
/** Upper bound on the text considered, to bound CPU time for very large documents. */
export const LOCAL_EMBEDDER_MAX_CHARS = 200_000;

export interface LocalEmbedderOptions {
  dimensions?: number;
}

export function createLocalEmbedder(options: LocalEmbedderOptions = {}): Embedder {
  const dimensions = options.dimensions ?? EMBEDDING_DIMENSIONS;
  return {
    id: LOCAL_EMBEDDER_ID,
    dimensions,
    embed: (texts) => Promise.resolve(texts.map((text) => embedLexically(text, dimensions))),
  };
}

/** Synchronous core of the local embedder; exported for tests and benchmarks. */
export function embedLexically(text: string, dimensions: number = EMBEDDING_DIMENSIONS): Float32Array {
  const words = tokenize(text.slice(0, LOCAL_EMBEDDER_MAX_CHARS));
  if (words.length === 0) return emptyTextVector(dimensions);

  // Content words carry the topic; if a text is only function words ("to be
  // or not to be"), keep them rather than return the empty-text vector.
  let content = words.filter((w) => !ENGLISH_STOPWORDS.has(w)).map(lightStem);
  if (content.length === 0) content = words;

  const unigrams = countFeatures(content);
  const bigrams = countFeatures(pairs(content));
  const charGrams = countFeatures(content.flatMap(characterNGrams));

  const vector = new Float32Array(dimensions);
  addFamily(vector, unigrams, FAMILY_SEEDS.unigram, FAMILY_WEIGHTS.unigram);
  addFamily(vector, bigrams, FAMILY_SEEDS.bigram, FAMILY_WEIGHTS.bigram);
  addFamily(vector, charGrams, FAMILY_SEEDS.charGram, FAMILY_WEIGHTS.charGram);

  // Hash collisions could in theory cancel everything out; never store a zero vector.
  if (l2Norm(vector) === 0) return emptyTextVector(dimensions);
  return l2NormalizeInPlace(vector);
}

function countFeatures(features: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const f of features) counts.set(f, (counts.get(f) ?? 0) + 1);
  return counts;
}

function pairs(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < tokens.length; i++) out.push(`${tokens[i - 1]} ${tokens[i]}`);
  return out;
}

/** Character n-grams of one word with "<" and ">" marking its boundaries. */
function characterNGrams(word: string): string[] {
  const chars = [...`<${word}>`];
  const grams: string[] = [];
  for (const n of CHAR_GRAM_SIZES) {
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(""));
  }
  return grams;
}

/** Hashes one family with 1 + ln(tf) weights, normalises it, and adds it with `familyWeight`. */
function addFamily(target: Float32Array, counts: Map<string, number>, seed: number, familyWeight: number): void {
  if (counts.size === 0) return;
  const family = new Float32Array(target.length);
  for (const [feature, tf] of counts) addHashedFeature(family, feature, 1 + Math.log(tf), seed);
  const norm = l2Norm(family);
  if (norm === 0) return;
  for (let i = 0; i < target.length; i++) target[i] = target[i]! + (family[i]! / norm) * familyWeight;
}
