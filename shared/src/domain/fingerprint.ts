/**
 * Near-duplicate fingerprints (docs/duplicates.md): a MinHash signature over
 * word shingles of a document's extracted text, and locality-sensitive
 * hashing (LSH) bands of it so candidates are found by exact lookups instead
 * of comparing every pair.
 *
 * Two texts' signatures agree in each position with probability equal to the
 * Jaccard similarity of their shingle sets, so the share of equal positions
 * estimates it. Markup, URLs and whitespace never reach this: the text is
 * what extraction produced, folded to lower-case words.
 */
import { fmix32, fnv1aUnits } from "../util/hash32";

/** Words per shingle: three keeps a one-word edit local (three shingles change) while sibling pages sharing phrases stay apart. */
export const SHINGLE_WORDS = 3;
/** Signature length: the similarity estimate's standard error is about sqrt(J(1-J)/128) ≈ 0.035 at J = 0.8. */
export const SIGNATURE_SIZE = 128;
/** LSH: 32 bands of 4 rows. A pair at similarity s shares a band with probability 1-(1-s^4)^32: 0.99+ at 0.6, 0.12 at 0.2. */
export const BANDS = 32;
export const ROWS_PER_BAND = SIGNATURE_SIZE / BANDS;
/**
 * Estimated Jaccard similarity at or above which a document is a near-duplicate.
 * Chosen on the labelled set of bench/duplicates (npm run eval:duplicates).
 */
export const DUPLICATE_THRESHOLD = 0.6;
/** Texts with fewer shingles than this are too short to call near-identical (exact copies are still found by hash). */
export const MIN_SHINGLES = 5;

/** Lower-case words of the text (letters and digits, any script), in order. */
export function fingerprintWords(text: string): string[] {
  return text.normalize("NFKC").toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The distinct shingles of the text, as 32-bit hashes. */
export function shingleHashes(text: string, size = SHINGLE_WORDS): Uint32Array {
  const words = fingerprintWords(text);
  const out = new Set<number>();
  if (words.length === 0) return new Uint32Array(0);
  if (words.length < size) out.add(fnv1aUnits(words.join(" ")));
  for (let i = 0; i + size <= words.length; i++) out.add(fnv1aUnits(words.slice(i, i + size).join(" ")));
  return Uint32Array.from(out);
}

/** Seeds of the SIGNATURE_SIZE hash functions: fixed, so signatures stored today compare with tomorrow's. */
const SEEDS = Uint32Array.from({ length: SIGNATURE_SIZE }, (_, i) => fmix32((i + 1) * 0x9e3779b9));

export interface Fingerprint {
  signature: Uint32Array;
  /** How many distinct shingles the text has. */
  shingles: number;
}

export function fingerprintOf(text: string): Fingerprint {
  const shingles = shingleHashes(text);
  const signature = new Uint32Array(SIGNATURE_SIZE).fill(0xffffffff);
  for (const h of shingles) {
    for (let i = 0; i < SIGNATURE_SIZE; i++) {
      // mix32 is a bijection on 32-bit integers: each seed gives an independent-looking permutation of the shingles.
      const v = fmix32(h ^ SEEDS[i]!);
      if (v < signature[i]!) signature[i] = v;
    }
  }
  return { signature, shingles: shingles.length };
}

/** The share of positions where two signatures agree: the estimated Jaccard similarity of the texts. */
export function estimatedSimilarity(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length || a.length === 0) return 0;
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** One key per band (`band:hash`): two signatures are candidates when they share any key. */
export function bandKeys(signature: Uint32Array): string[] {
  const keys: string[] = [];
  for (let b = 0; b < BANDS; b++) {
    let h = 0x811c9dc5;
    for (let r = 0; r < ROWS_PER_BAND; r++) h = fmix32(h ^ signature[b * ROWS_PER_BAND + r]!);
    keys.push(`${b}:${h.toString(16).padStart(8, "0")}`);
  }
  return keys;
}

export function encodeSignature(signature: Uint32Array): string {
  return Array.from(signature, (v) => v.toString(16).padStart(8, "0")).join("");
}

export function decodeSignature(hex: string): Uint32Array {
  const out = new Uint32Array(hex.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16);
  return out;
}

/** Exact Jaccard similarity of two texts' shingle sets (for measuring the estimate, not used at ingestion). */
export function exactSimilarity(a: string, b: string): number {
  const x = new Set(shingleHashes(a));
  const y = new Set(shingleHashes(b));
  if (x.size === 0 && y.size === 0) return 1;
  let both = 0;
  for (const h of x) if (y.has(h)) both++;
  return both / (x.size + y.size - both);
}

export interface NearMatch {
  id: string;
  similarity: number;
}

/**
 * The candidate most similar to `signature`, if at or above the threshold;
 * ties go to the earliest candidate given (callers list the oldest first, so
 * a copy points at the document the library had first).
 */
export function bestMatch(signature: Uint32Array, candidates: ReadonlyArray<{ id: string; signature: Uint32Array }>, threshold = DUPLICATE_THRESHOLD): NearMatch | null {
  let best: NearMatch | null = null;
  for (const c of candidates) {
    const similarity = estimatedSimilarity(signature, c.signature);
    if (similarity >= threshold && (!best || similarity > best.similarity)) best = { id: c.id, similarity };
  }
  return best;
}
