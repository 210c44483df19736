/**
 * The one comparison of secrets (API keys) in the code base: the API router,
 * the local `/metrics` route and the AWS authorizer all call it, so a timing
 * leak can only be fixed (or introduced) in one place.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/**
 * Constant-time equality of a presented secret and the expected one. Both are
 * hashed first so the comparison takes the same time whatever their lengths;
 * an empty expected secret matches nothing (fail closed).
 */
export function sameSecret(presented: string | undefined, expected: string): boolean {
  if (!presented || expected.length === 0) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Which of `candidates` the presented secret equals, looking at every one
 * (no early exit), so the time taken does not say how far down the list a
 * match was or whether there was one.
 */
export function matchSecret<T>(presented: string | undefined, candidates: ReadonlyArray<{ secret: string; value: T }>): T | undefined {
  if (!presented) return undefined;
  const given = digest(presented);
  let found: T | undefined;
  for (const c of candidates) {
    const hit = c.secret.length > 0 && timingSafeEqual(given, digest(c.secret));
    if (hit && found === undefined) found = c.value;
  }
  return found;
}
