/**
 * Title, description, authors and language declared in an HTML document's
 * markup: <title>, <meta> (HTML, Open Graph, Twitter, Dublin Core and the
 * Highwire `citation_*` tags Google Scholar reads) and JSON-LD.
 *
 * Read before Readability runs, because Readability rewrites the document.
 */
import { parseAuthorList } from "./authors";
import { languageFromTag } from "./language";
import { cleanField } from "./text";

export interface HtmlMetadata {
  title: string | null;
  description: string | null;
  authors: string[];
  language: string | null;
}

export function readHtmlMetadata(document: Document): HtmlMetadata {
  const metas = metaIndex(document);
  const first = (...names: string[]): string | null => {
    for (const name of names) {
      for (const value of metas.get(name) ?? []) {
        const clean = cleanField(value);
        if (clean) return clean;
      }
    }
    return null;
  };
  const jsonLd = jsonLdObjects(document);
  return {
    title:
      first("citation_title", "og:title", "twitter:title", "dc.title", "dcterms.title") ??
      cleanField(jsonLdString(jsonLd, "headline") ?? jsonLdString(jsonLd, "name")) ??
      titleElementText(document) ??
      cleanField(document.querySelector("h1")?.textContent),
    description: first(
      "description",
      "og:description",
      "twitter:description",
      "dc.description",
      "dcterms.description",
      "citation_abstract",
    ),
    authors: readAuthors(metas, jsonLd),
    language:
      languageFromTag(document.documentElement?.getAttribute("lang")) ??
      languageFromTag(document.documentElement?.getAttribute("xml:lang")) ??
      languageFromTag(first("content-language", "dc.language", "dcterms.language", "citation_language")) ??
      languageFromTag(first("og:locale")),
  };
}

/**
 * <title> usually carries the site's name too ("Page - Site", "Site | Page").
 * When one of its separated parts is also a heading on the page, that part
 * is the page's own title; otherwise the whole <title> is kept.
 */
function titleElementText(document: Document): string | null {
  const full = cleanField(document.querySelector("title")?.textContent);
  if (!full) return null;
  const parts = full.split(/\s+[-|–—·:»]\s+/).map((part) => part.trim());
  if (parts.length < 2) return full;
  const headings = new Set(
    Array.from(document.querySelectorAll("h1, h2"))
      .map((heading) => cleanField(heading.textContent)?.toLowerCase())
      .filter((text): text is string => Boolean(text)),
  );
  return parts.find((part) => headings.has(part.toLowerCase())) ?? full;
}

/**
 * Authors from the most precise source present, not a merge of all: sites
 * repeat the same people in several tags, in different forms.
 */
function readAuthors(metas: Map<string, string[]>, jsonLd: unknown[]): string[] {
  // One author per citation_author tag, often "Surname, Given", which
  // parseAuthorList keeps whole.
  const scholarly = (metas.get("citation_author") ?? []).map((name) => cleanField(name)).filter(isString);
  if (scholarly.length > 0) return parseAuthorList(scholarly);

  const fromJsonLd = jsonLdAuthors(jsonLd);
  if (fromJsonLd.length > 0) return parseAuthorList(fromJsonLd);

  for (const name of ["author", "dc.creator", "dcterms.creator", "article:author", "sailthru.author"]) {
    const values = (metas.get(name) ?? []).filter((value) => !/^https?:\/\//i.test(value.trim()));
    const authors = parseAuthorList(values);
    if (authors.length > 0) return authors;
  }
  return [];
}

/** meta name/property (lowercased) → contents, in document order. http-equiv counts as a name. */
function metaIndex(document: Document): Map<string, string[]> {
  const index = new Map<string, string[]>();
  for (const meta of Array.from(document.querySelectorAll("meta"))) {
    const content = meta.getAttribute("content");
    if (content === null) continue;
    for (const attribute of ["name", "property", "http-equiv", "itemprop"]) {
      const key = meta.getAttribute(attribute)?.trim().toLowerCase();
      if (!key) continue;
      const list = index.get(key) ?? [];
      list.push(content);
      index.set(key, list);
    }
  }
  return index;
}

/** Every object in every JSON-LD block, @graph and arrays flattened. Broken blocks are skipped. */
function jsonLdObjects(document: Document): unknown[] {
  const objects: unknown[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (isRecord(value)) {
      objects.push(value);
      if ("@graph" in value) visit(value["@graph"]);
    }
  };
  for (const script of Array.from(document.querySelectorAll('script[type="application/ld+json"]'))) {
    try {
      visit(JSON.parse(script.textContent ?? ""));
    } catch {
      // Malformed JSON-LD is common and never fatal.
    }
  }
  return objects;
}

const CREATIVE_WORK = /Article|Posting|Report|Paper|Book|CreativeWork|WebPage|Thesis|Chapter/;

function creativeWorks(objects: unknown[]): Record<string, unknown>[] {
  return objects.filter(isRecord).filter((object) => {
    const type = object["@type"];
    const types = Array.isArray(type) ? type : [type];
    return types.some((entry) => typeof entry === "string" && CREATIVE_WORK.test(entry));
  });
}

function jsonLdString(objects: unknown[], key: string): string | null {
  for (const work of creativeWorks(objects)) {
    const value = work[key];
    if (typeof value === "string" && value.trim() !== "") return value;
  }
  return null;
}

function jsonLdAuthors(objects: unknown[]): string[] {
  for (const work of creativeWorks(objects)) {
    const names = namesOf(work["author"] ?? work["creator"]);
    if (names.length > 0) return names;
  }
  return [];
}

/** A JSON-LD author: "Name", {name}, {givenName, familyName}, or an array of those. */
function namesOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(namesOf);
  if (!isRecord(value)) return [];
  if (typeof value["name"] === "string") return [value["name"]];
  const given = typeof value["givenName"] === "string" ? value["givenName"] : "";
  const family = typeof value["familyName"] === "string" ? value["familyName"] : "";
  const joined = `${given} ${family}`.trim();
  return joined ? [joined] : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: string | null): value is string {
  return value !== null;
}
