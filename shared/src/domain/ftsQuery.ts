/**
 * Turns what a user typed into a safe FTS5 query that reads questions.
 *
 * - Only word tokens survive, each quoted as a string literal, so operators
 *   (AND OR NOT NEAR), column filters (`title:`), parentheses, `^` and control
 *   characters in user text never reach MATCH as syntax.
 * - Two pieces of syntax are kept on purpose: a "quoted phrase" matches those
 *   words in that order, and `word*` (two letters or more) matches every word
 *   that starts with it.
 * - Stop words ("how", "do", "I", "a") are dropped from the match, unless the
 *   query has nothing else; FTS5's Porter stemmer matches the other words'
 *   inflections ("constraints" finds "constraint").
 * - The words are OR-ed, not AND-ed: a question rarely has all its words in
 *   the answer. The search ranks documents that match more of them first.
 */
import { ENGLISH_STOPWORDS } from "./text";

const WORD = /[\p{L}\p{N}]+/gu;
export const MAX_QUERY_TOKENS = 32;
const MAX_TOKEN_LENGTH = 64;
const MIN_PREFIX_LENGTH = 2;

export type QueryTerm =
  | { kind: "word"; word: string }
  | { kind: "prefix"; word: string }
  | { kind: "phrase"; words: string[] };

/** Word tokens of `text`, lowercased, deduplicated, at most MAX_QUERY_TOKENS. */
export function queryTokens(text: string): string[] {
  const tokens: string[] = [];
  for (const m of text.normalize("NFKC").matchAll(WORD)) {
    const t = m[0].toLowerCase().slice(0, MAX_TOKEN_LENGTH);
    if (!tokens.includes(t)) tokens.push(t);
    if (tokens.length >= MAX_QUERY_TOKENS) break;
  }
  return tokens;
}

/** The query's terms in order: words, prefixes and phrases (every word of the text, stop words included). */
export function parseQuery(text: string): QueryTerm[] {
  const terms: QueryTerm[] = [];
  const seen = new Set<string>();
  let count = 0;
  const add = (term: QueryTerm) => {
    const key = term.kind === "phrase" ? `"${term.words.join(" ")}"` : term.kind === "prefix" ? `${term.word}*` : term.word;
    if (seen.has(key) || count >= MAX_QUERY_TOKENS) return;
    seen.add(key);
    terms.push(term);
    count += term.kind === "phrase" ? term.words.length : 1;
  };
  // Quotes pair up left to right; an unpaired quote is ignored.
  const parts = text.normalize("NFKC").split('"');
  parts.forEach((part, i) => {
    const quoted = i % 2 === 1 && i < parts.length - 1;
    if (quoted) {
      const words = wordsOf(part);
      if (words.length > 1) add({ kind: "phrase", words });
      else if (words[0]) add({ kind: "word", word: words[0] });
      return;
    }
    for (const m of part.matchAll(/([\p{L}\p{N}]+)(\*?)/gu)) {
      const word = m[1]!.toLowerCase().slice(0, MAX_TOKEN_LENGTH);
      add(m[2] && word.length >= MIN_PREFIX_LENGTH ? { kind: "prefix", word } : { kind: "word", word });
    }
  });
  return terms;
}

function wordsOf(text: string): string[] {
  return [...text.matchAll(WORD)].map((m) => m[0].toLowerCase().slice(0, MAX_TOKEN_LENGTH));
}

/** The terms that decide what matches: stop words dropped, unless that leaves nothing. */
export function contentTerms(terms: readonly QueryTerm[]): QueryTerm[] {
  const content = terms.filter((t) => t.kind !== "word" || !ENGLISH_STOPWORDS.has(t.word));
  return content.length > 0 ? content : [...terms];
}

/** The words the match reads (content terms, phrases spelled out): what a result's term tags are made of. */
export function matchWords(text: string): string[] {
  return contentTerms(parseQuery(text)).flatMap((t) => (t.kind === "phrase" ? t.words : [t.word]));
}

/** One term as an FTS5 expression (always quoted: never syntax). */
export function termExpression(term: QueryTerm): string {
  if (term.kind === "phrase") return `"${term.words.join(" ")}"`;
  return term.kind === "prefix" ? `"${term.word}"*` : `"${term.word}"`;
}

/**
 * The MATCH expression of a query: its content terms, OR-ed (`any`, what
 * search uses) or AND-ed (`all`). Null when the text has no searchable word.
 */
export function toFtsQuery(text: string, mode: "all" | "any" = "any"): string | null {
  const terms = contentTerms(parseQuery(text));
  if (terms.length === 0) return null;
  return terms.map(termExpression).join(mode === "all" ? " " : " OR ");
}

/** Whether the query uses syntax whose matches term counts alone cannot tell (phrases, prefixes). */
export function hasSyntax(terms: readonly QueryTerm[]): boolean {
  return terms.some((t) => t.kind !== "word");
}

/**
 * Canonical form of a query for cache keys, statistics and the query vector:
 * lowercased words, stop words kept (they carry meaning for the encoder),
 * phrases quoted, prefixes starred.
 */
export function normalizeQuery(text: string): string {
  return parseQuery(text)
    .map((t) => (t.kind === "phrase" ? `"${t.words.join(" ")}"` : t.kind === "prefix" ? `${t.word}*` : t.word))
    .join(" ");
}

/** The query as plain words, for the sentence encoder (syntax removed). */
export function queryText(normalized: string): string {
  return normalized.replace(/["*]/g, "");
}
