/**
 * Small dense-vector helpers shared by the embedders and the recommendation
 * math. Float32Array throughout because that is what the vector column stores.
 */

/** Dot product over the common length of `a` and `b`. */
export function dot(a: Float32Array, b: Float32Array): number {
  const n = Math.min(a.length, b.length);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += a[i]! * b[i]!;
  return sum;
}

export function l2Norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

/**
 * Scales `v` to unit length in place and returns it. A zero vector is left as
 * it is (there is no direction to keep); callers decide what zero means.
 */
export function l2NormalizeInPlace(v: Float32Array): Float32Array {
  const norm = l2Norm(v);
  if (norm > 0 && Number.isFinite(norm)) {
    for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  }
  return v;
}

/**
 * Cosine similarity in [-1, 1]; 0 when either vector is zero (undefined
 * mathematically, but "no evidence of similarity" is the useful answer) or
 * when the lengths differ (vectors from different models are not comparable).
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const na = l2Norm(a);
  const nb = l2Norm(b);
  if (na === 0 || nb === 0) return 0;
  const c = dot(a, b) / (na * nb);
  return Math.max(-1, Math.min(1, c));
}

/**
 * The vector stored for text with no words at all.
 *
 * Not a zero vector: libSQL's cosine distance divides by the norms, so a zero
 * vector yields NaN and can poison `vector_top_k` ordering. Instead every
 * component is +1/sqrt(d): a fixed unit vector. Signed feature hashing puts
 * real documents at random signs, so their cosine with this vector is near 0
 * (it neither attracts nor repels), and all empty texts map to the same point,
 * which is honest: they are the same input.
 */
export function emptyTextVector(dimensions: number): Float32Array {
  return new Float32Array(dimensions).fill(1 / Math.sqrt(dimensions));
}
