/**
 * Turns what a user typed into a safe FTS5 query. Only word tokens survive,
 * each quoted as a string literal, so operators (AND OR NOT NEAR), column
 * filters (`title:`), parentheses, quotes, `*`, `^` and control characters in
 * user text never reach MATCH as syntax.
 */
const WORD = /[\p{L}\p{N}]+/gu;
export const MAX_QUERY_TOKENS = 32;
const MAX_TOKEN_LENGTH = 64;

export function queryTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const m of text.normalize("NFKC").matchAll(WORD)) {
    const t = m[0].toLowerCase().slice(0, MAX_TOKEN_LENGTH);
    if (!tokens.includes(t)) tokens.push(t);
    if (tokens.length >= MAX_QUERY_TOKENS) break;
  }
  return tokens;
}

/**
 * `all`: every token must match (precise); `any`: at least one (recall).
 * Returns null when the text has no searchable word.
 */
export function toFtsQuery(text: string, mode: "all" | "any" = "all"): string | null {
  const tokens = queryTokens(text);
  if (tokens.length === 0) return null;
  return tokens.map((t) => `"${t}"`).join(mode === "all" ? " " : " OR ");
}

/** Canonical form of a query for cache keys and statistics. */
export function normalizeQuery(text: string): string {
  return queryTokens(text).join(" ");
}
