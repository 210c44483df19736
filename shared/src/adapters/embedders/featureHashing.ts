/**
 * 32-bit hashing for the hashing trick.
 *
 * FNV-1a is simple and fast but its low bits mix poorly for short keys, and
 * the bucket index is taken from the low bits; the MurmurHash3 finaliser
 * ("fmix32") is applied afterwards so every output bit depends on every input
 * bit. Keys are hashed over UTF-16 code units (two bytes each), which is
 * deterministic across platforms and avoids allocating UTF-8 buffers per
 * n-gram.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(key: string, seed = 0): number {
  let h = (FNV_OFFSET ^ seed) >>> 0;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    h = Math.imul(h ^ (unit & 0xff), FNV_PRIME);
    h = Math.imul(h ^ (unit >>> 8), FNV_PRIME);
  }
  return h >>> 0;
}

/** MurmurHash3's 32-bit avalanche step. */
export function fmix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A well-mixed 32-bit hash of `key`; `seed` separates feature namespaces. */
export function hash32(key: string, seed = 0): number {
  return fmix32(fnv1a32(key, seed));
}

/**
 * Adds `weight` for `feature` into `vector` with signed hashing: the bucket
 * comes from the low bits and the sign from the top bit, so collisions cancel
 * in expectation instead of always adding up (Weinberger et al., 2009).
 */
export function addHashedFeature(vector: Float32Array, feature: string, weight: number, seed: number): void {
  const h = hash32(feature, seed);
  const bucket = h % vector.length;
  const sign = h & 0x80000000 ? -1 : 1;
  vector[bucket] = vector[bucket]! + sign * weight;
}
