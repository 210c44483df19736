/**
 * 32-bit non-cryptographic hashes shared by the hashing-trick embedder and the
 * near-duplicate fingerprints.
 *
 * FNV-1a is simple and fast but its low bits mix poorly for short keys; the
 * MurmurHash3 finaliser ("fmix32", a bijection on 32-bit integers) is applied
 * afterwards where every output bit must depend on every input bit.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the two bytes of each UTF-16 code unit (deterministic across platforms, no UTF-8 buffer per key). */
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
 * FNV-1a taking each UTF-16 code unit as one step (not its two bytes). The
 * stored near-duplicate signatures were computed with exactly this function:
 * changing it would silently make every stored signature stale.
 */
export function fnv1aUnits(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}
