/**
 * HTML → main text, metadata and outgoing links.
 *
 * Main text comes from Readability (the Firefox Reader View algorithm) run
 * over a linkedom DOM. Two adjustments:
 * - When the page marks its primary content with a single <main> (or
 *   role="main") element, Readability only sees that element: menus, popups
 *   and sidebars that CSS hides in a browser are otherwise indistinguishable
 *   from content for a DOM without styles.
 * - When Readability finds nothing (very short pages, unusual markup), the
 *   body's visible text is used, minus navigation landmarks.
 */
import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import { decodeText } from "./decode";
import { readHtmlMetadata } from "./htmlMetadata";
import { isHidden, visibleText } from "./htmlText";
import { cleanField } from "./text";
import type { FormatExtraction } from "./formatExtraction";


/** Below this many characters, Readability's pick is not trusted over the body's text. */
const MIN_ARTICLE_CHARS = 80;
const BOILERPLATE_SELECTOR =
  'nav, header, footer, aside, form, dialog, [role="navigation"], [role="banner"], [role="contentinfo"], [role="complementary"], [role="search"]';

export function extractHtml(bytes: Uint8Array, options: { charset?: string | null; url?: string | null }): FormatExtraction {
  const html = decodeText(bytes, { charset: options.charset, html: true });
  const document = parseDocument(html);
  // Metadata first: Readability rewrites the document it is given.
  const metadata = readHtmlMetadata(document);

  const article = readArticle(document);
  const fallback = article && article.text.length >= MIN_ARTICLE_CHARS ? null : bodyWithoutBoilerplate(html);
  const chosen = fallback && fallback.text.length > (article?.text.length ?? 0) ? fallback : (article ?? fallback);
  const text = chosen?.text ?? "";
  return {
    ...metadata,
    title: metadata.title ?? cleanField(article?.title),
    text,
    links: absoluteLinks(chosen?.root ?? null, options.url ?? null),
  };
}

function parseDocument(html: string): Document {
  // linkedom does not invent the <html>/<body> a browser would add around a
  // fragment ("<p>Note</p>", or a page without an <html> tag); add them.
  const markup = /<html[\s>]/i.test(html) ? html : `<html><body>${html.replace(/^\s*<!doctype[^>]*>/i, "")}</body></html>`;
  return parseHTML(markup).document as unknown as Document;
}

interface TextWithRoot {
  text: string;
  root: Element;
  title?: string | null;
}

function readArticle(document: Document): TextWithRoot | null {
  narrowToMainLandmark(document);
  // serializer: hand back the article element itself rather than an HTML
  // string, so its text can be walked block by block.
  const result = new Readability<Node>(document, { serializer: (node) => node }).parse();
  const root = result?.content as Element | null | undefined;
  if (!root) return null;
  return { text: visibleText(root), root, title: result?.title ?? null };
}

function narrowToMainLandmark(document: Document): void {
  const candidates = Array.from(document.querySelectorAll('main, [role="main"]')).filter((element) => !isHidden(element));
  const main = candidates[0];
  if (candidates.length !== 1 || !main || !document.body) return;
  if ((main.textContent ?? "").trim().length < MIN_ARTICLE_CHARS) return;
  document.body.replaceChildren(main);
}

function bodyWithoutBoilerplate(html: string): TextWithRoot | null {
  const document = parseDocument(html);
  const body = document.body ?? document.documentElement;
  if (!body) return null;
  for (const element of Array.from(body.querySelectorAll(BOILERPLATE_SELECTOR))) element.remove();
  return { text: visibleText(body), root: body };
}

function absoluteLinks(root: Element | null, base: string | null): string[] {
  if (!root) return [];
  const links: string[] = [];
  for (const anchor of Array.from(root.querySelectorAll("a[href]"))) {
    const href = anchor.getAttribute("href")?.trim();
    if (!href || href.startsWith("#")) continue;
    try {
      const url = base ? new URL(href, base) : new URL(href);
      if (url.protocol === "http:" || url.protocol === "https:") links.push(url.href);
    } catch {
      // relative without a base, or malformed: nothing to cite
    }
  }
  return links;
}
