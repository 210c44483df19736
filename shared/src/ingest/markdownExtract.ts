/**
 * Markdown → plain paragraphs, title, authors and link targets.
 *
 * Line-oriented rather than a full CommonMark parse: the goal is readable
 * text for search and embeddings, not rendering. Headings, list items, table
 * rows and code blocks each become their own paragraph so they never run
 * together; link and image syntax is reduced to its visible text, inline HTML
 * to its text, and link targets are kept aside for citation extraction.
 */
import { parseAuthorList } from "./authors";
import { splitFrontMatter } from "./frontMatter";
import { languageFromTag } from "./language";
import { cleanField, normaliseText } from "./text";
import type { FormatExtraction } from "./formatExtraction";


const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const ATX_HEADING = /^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const SETEXT_UNDERLINE = /^\s{0,3}(=+|-+)[ \t]*$/;
const THEMATIC_BREAK = /^\s{0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$/;
const LIST_ITEM = /^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?/;
const HTML_HEADING = /^\s*<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1>/i;

export function extractMarkdown(markdown: string): FormatExtraction {
  const { fields, body } = splitFrontMatter(markdown.replace(/\r\n?/g, "\n"));
  const links: string[] = [];
  const headings: Array<{ level: number; text: string }> = [];
  const out: string[] = [];
  const lines = body.replace(/<!--[\s\S]*?-->/g, "").split("\n");

  let fence: string | null = null;
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    const fenceMatch = FENCE.exec(line);
    if (fence) {
      if (fenceMatch && fenceMatch[1]?.startsWith(fence)) {
        fence = null;
        out.push("");
      } else out.push(line);
      continue;
    }
    if (fenceMatch) {
      fence = (fenceMatch[1] ?? "```").slice(0, 3);
      out.push("");
      continue;
    }

    const next = lines[index + 1] ?? "";
    const atx = ATX_HEADING.exec(line);
    const html = HTML_HEADING.exec(line);
    if (atx || html) {
      const text = inlineText(atx ? (atx[2] ?? "") : (html?.[2] ?? ""), links);
      headings.push({ level: atx ? (atx[1] ?? "#").length : Number(html?.[1]), text });
      out.push("", text, "");
      continue;
    }
    if (line.trim() !== "" && SETEXT_UNDERLINE.exec(next) && !LIST_ITEM.test(line) && !THEMATIC_BREAK.test(line)) {
      const text = inlineText(line, links);
      headings.push({ level: next.trim().startsWith("=") ? 1 : 2, text });
      out.push("", text, "");
      index++; // the underline
      continue;
    }
    if (THEMATIC_BREAK.test(line) || TABLE_DELIMITER.test(line)) {
      out.push("");
      continue;
    }
    const reference = REFERENCE_DEFINITION.exec(line);
    if (reference) {
      if (reference[1]) links.push(reference[1]);
      continue;
    }
    let content = line.replace(/^\s{0,3}(?:>\s?)+/, ""); // block quote markers
    const isListItem = LIST_ITEM.test(content);
    content = content.replace(LIST_ITEM, "");
    const isTableRow = /^\s*\|.*\|\s*$/.test(content);
    if (isTableRow) content = content.trim().slice(1, -1).replace(/\|/g, " ");
    // List items and table rows are paragraphs of their own.
    if (isListItem || isTableRow) out.push("");
    out.push(inlineText(content, links));
    if (isTableRow) out.push("");
  }

  const title = cleanField(first(fields, "title")) ?? headings.find((heading) => heading.level === 1)?.text ?? headings[0]?.text ?? null;
  return {
    text: normaliseText(out.join("\n")),
    title: cleanField(title),
    description: cleanField(first(fields, "description") ?? first(fields, "summary")),
    authors: parseAuthorList([...(fields.get("authors") ?? []), ...(fields.get("author") ?? [])]),
    language: languageFromTag(first(fields, "lang") ?? first(fields, "language")),
    links,
  };
}

/** Reduce inline markdown and HTML to visible text; push link targets to `links`. */
export function inlineText(text: string, links: string[]): string {
  return decodeEntities(
    text
      // linked images are badges and logos: drop them whole
      .replace(/\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)/g, " ")
      // other images: keep the alt text
      .replace(/!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^)]*["'])?\s*\)/g, "$1")
      // inline links: keep the text, collect the target
      .replace(/\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^)]*["'])?\s*\)/g, (_match, label: string, target: string) => {
        if (target) links.push(target);
        return label;
      })
      // reference links [text][id] and [text][]
      .replace(/\[([^\]]+)\]\[[^\]]*\]/g, "$1")
      // autolinks <https://...>
      .replace(/<((?:https?|ftp):\/\/[^>\s]+)>/gi, (_match, url: string) => {
        links.push(url);
        return url;
      })
      .replace(/<br\s*\/?>/gi, "\n")
      .replace(/<\/?[a-z][^>]*>/gi, " ") // other inline HTML tags
      .replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, "$2") // inline code
      .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, "$2") // strong
      .replace(/(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?![\w*])/g, "$1$2") // *em*
      .replace(/(^|[^\w])_(?=\S)([^_]*?\S)_(?!\w)/g, "$1$2") // _em_, not snake_case
      .replace(/~~(?=\S)([\s\S]*?\S)~~/g, "$1") // strikethrough
      .replace(/\\([\\`*_{}[\]()#+\-.!|>~])/g, "$1"), // backslash escapes
  );
}

function decodeEntities(text: string): string {
  const named: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " ", copy: "©", mdash: "—", ndash: "–", hellip: "…" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
    if (body.startsWith("#")) {
      const code = body[1] === "x" || body[1] === "X" ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : entity;
    }
    return named[body.toLowerCase()] ?? entity;
  });
}

function first(fields: Map<string, string[]>, key: string): string | null {
  return fields.get(key)?.[0] ?? null;
}
