/**
 * The hashing trick: features hashed into a fixed-size vector. Keys are hashed
 * over UTF-16 code units with FNV-1a and mixed with the MurmurHash3 finaliser
 * (shared/src/util/hash32.ts), because the bucket index is taken from the low
 * bits.
 */
import { hash32 } from "../../util/hash32";

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
