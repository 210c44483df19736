/**
 * The one text shape every extractor returns: paragraphs separated by a blank
 * line ("\n\n"), whitespace inside a paragraph collapsed to single spaces, no
 * control or zero-width characters. Search snippets, embeddings and language
 * detection all rely on it.
 */

const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF\u00AD]/g;
// C0/C1 controls except tab and line feed; carriage returns are handled first.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000B\u000E-\u001F\u007F-\u009F]/g;

/** Normalise text whose paragraphs are separated by blank lines. */
export function normaliseText(text: string): string {
  return joinParagraphs(
    text
      .replace(/\r\n?/g, "\n")
      .replace(/\f/g, "\n\n")
      .split(/\n[ \t\u00A0]*\n/),
  );
}

/** Normalise each paragraph and join the non-empty ones with a blank line. */
export function joinParagraphs(paragraphs: Iterable<string>): string {
  const kept: string[] = [];
  for (const paragraph of paragraphs) {
    const clean = collapseWhitespace(paragraph);
    if (clean !== "") kept.push(clean);
  }
  return kept.join("\n\n");
}

/** One line: all whitespace runs (Unicode spaces included) become one space. */
export function collapseWhitespace(text: string): string {
  return text.replace(ZERO_WIDTH, "").replace(CONTROL, " ").replace(/\s+/g, " ").trim();
}

/** A metadata value worth keeping: trimmed, collapsed, non-empty, else null. */
export function cleanField(value: string | null | undefined, maxLength = 1000): string | null {
  if (value === null || value === undefined) return null;
  const clean = collapseWhitespace(value);
  if (clean === "") return null;
  return clean.length > maxLength ? `${clean.slice(0, maxLength - 1).trimEnd()}…` : clean;
}
