/**
 * Plain text → paragraphs, plus a title when the text opens with a short
 * heading-like line, and authors from a "By ..." / "Author(s): ..." line near
 * the top (a common convention in text documents, RFC-like notes, e-texts).
 */
import { parseAuthorList } from "./authors";
import type { FormatExtraction } from "./formatExtraction";
import { cleanField, normaliseText } from "./text";


const MAX_TITLE_CHARS = 120;
const AUTHOR_LINE = /^\s*(?:by|authors?\s*:)\s+(.+)$/i;

export function extractPlainText(content: string): FormatExtraction {
  // Rules, underlines and table borders made only of punctuation ("-----",
  // "=====", "----+----") are layout, not text.
  const text = normaliseText(content.replace(/^[ \t|+:*#]*[-=_~]{3,}[-=_~ \t|+:*#]*$/gm, "\n"));
  const lines = content.replace(/\r\n?/g, "\n").split("\n");
  const firstLine = lines.find((line) => line.trim() !== "")?.trim() ?? "";
  return { text, title: titleFrom(firstLine, text), description: null, authors: authorsNearTop(lines), language: null, links: [] };
}

/**
 * Short, not the whole document, and not a sentence (a line ending with "."
 * is more often the start of prose than a title).
 */
function titleFrom(firstLine: string, text: string): string | null {
  const clean = cleanField(firstLine);
  if (!clean || clean.length > MAX_TITLE_CHARS || clean.length === text.length) return null;
  if (/[.,;:]$/.test(clean) && !/\.\.\.$/.test(clean)) return null;
  return clean;
}

function authorsNearTop(lines: string[]): string[] {
  for (const line of lines.slice(0, 12)) {
    const match = AUTHOR_LINE.exec(line);
    if (match?.[1] && match[1].length <= 300) return parseAuthorList(match[1]);
  }
  return [];
}
