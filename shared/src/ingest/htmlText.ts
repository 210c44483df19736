/**
 * Visible text of a DOM subtree, with block elements as paragraph breaks.
 *
 * `textContent` glues "Heading" and "First paragraph" into "HeadingFirst
 * paragraph" and keeps script text; this walker separates blocks with blank
 * lines, line breaks with newlines, and skips what is never shown as text.
 */
import { normaliseText } from "./text";

const BLOCK_ELEMENTS = new Set([
  "address", "article", "aside", "blockquote", "caption", "dd", "details", "dialog", "div", "dl", "dt",
  "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
  "hgroup", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "td",
  "tfoot", "th", "thead", "tr", "ul",
]);

/** Never rendered as text, whatever the page's CSS. */
export const NON_TEXT_ELEMENTS = new Set([
  "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object", "embed",
  "head", "title", "select", "option", "textarea", "button", "input",
]);

const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

export function visibleText(root: Node): string {
  const parts: string[] = [];
  walk(root, parts);
  return normaliseText(parts.join(""));
}

function walk(node: Node, parts: string[]): void {
  if (node.nodeType === TEXT_NODE) {
    parts.push(node.nodeValue ?? "");
    return;
  }
  if (node.nodeType !== ELEMENT_NODE) {
    // Documents and fragments: descend; comments and the rest: skip.
    if (node.nodeType === 9 || node.nodeType === 11) for (const child of Array.from(node.childNodes)) walk(child, parts);
    return;
  }
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  if (NON_TEXT_ELEMENTS.has(tag) || isHidden(element)) return;
  if (tag === "br") {
    parts.push("\n");
    return;
  }
  const block = BLOCK_ELEMENTS.has(tag);
  // Table cells sit side by side: a space, not a paragraph, between them.
  const separator = tag === "td" || tag === "th" ? " " : "\n\n";
  if (block) parts.push(separator);
  for (const child of Array.from(element.childNodes)) walk(child, parts);
  if (block) parts.push(separator);
}

/** Hidden by attribute or inline style; stylesheet rules cannot be seen here. */
export function isHidden(element: Element): boolean {
  if (element.hasAttribute("hidden")) return true;
  if (element.getAttribute("aria-hidden") === "true") return true;
  const style = (element.getAttribute("style") ?? "").toLowerCase().replace(/\s+/g, "");
  return style.includes("display:none") || style.includes("visibility:hidden");
}
