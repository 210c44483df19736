/**
 * A labelled near-duplicate set built from the real PostgreSQL manual
 * (docs/duplicates.md). Every page is dressed in the same site template
 * (navigation, a notice inside the article, a legal footer) as a mirror of
 * the manual would be, so pages share boilerplate.
 *
 * - originals: pages the library already holds;
 * - near-copies (label: duplicate of their original): the same page in other
 *   markup (a different template, Markdown, plain text), with whitespace and
 *   links changed, or with small edits (a few words replaced, deleted or
 *   inserted, a comment paragraph appended);
 * - non-duplicates: sibling pages of the same chapter (same file-name prefix:
 *   sql-*, functions-*, catalog-*...) in the same template, never in the library.
 *
 * Seeded: the same seed gives the same set.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { seededRandom } from "@test/helpers/seededRandom";

export const PG_DOC_DIR = "/usr/share/doc/postgresql-doc-15/html";

export interface LabelledDocument {
  /** What is sent to ingestion. */
  content: string;
  contentType: "text/html" | "text/markdown" | "text/plain";
  url: string;
  /** The original this document is a near-copy of, or null for a true non-duplicate. */
  duplicateOf: string | null;
  /** How it was made (for the per-kind figures). */
  kind: string;
  page: string;
}

export interface LabelledSet {
  originals: LabelledDocument[];
  probes: LabelledDocument[];
}

const NAV = ["Home", "Downloads", "Documentation", "Community", "Developers", "Support", "Donate", "Your account", "Release notes", "Mailing lists", "Security", "Events"];
const NOTICE =
  "This page describes a supported version of the software. Documentation for other versions is listed in the version selector at the top of the page. If you see anything in the documentation that is not correct, does not match your experience with the particular feature or requires further clarification, please use the form on this site to report a documentation issue, and the documentation team will review it.";
const LEGAL =
  "Copyright 1996-2024 The PostgreSQL Global Development Group. Permission to use, copy, modify, and distribute this software and its documentation for any purpose, without fee, and without a written agreement is hereby granted, provided that the above copyright notice and this paragraph and the following two paragraphs appear in all copies. Privacy policy. Code of conduct. About this site. Contact the webmaster.";

/** The manual's page body (between the navigation header and footer), and its title. */
function bodyOf(html: string): { title: string; body: string } {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1]?.trim() ?? "";
  const start = html.search(/<div class="(sect1|chapter|refentry|sect2|part|appendix|preface|reference|book|index|glossary|article|legalnotice|simplesect|set)"/i);
  const end = html.search(/<div class="navfooter">/i);
  const body = html.slice(start >= 0 ? start : 0, end > start ? end : html.length);
  return { title, body };
}

function siteTemplate(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body>
<nav class="site"><ul>${NAV.map((n) => `<li><a href="/${n.toLowerCase().replace(/\s+/g, "-")}/">${n}</a></li>`).join("")}</ul></nav>
<main><article>
${body}
<div class="notice">${NOTICE}</div>
</article></main>
<footer><p>${LEGAL}</p></footer></body></html>`;
}

/** Another mirror's template: different chrome, no notice, different footer. */
function otherTemplate(title: string, body: string): string {
  return `<html><head><title>${title} | Mirror</title><style>body{font-family:serif}</style></head>
<body><div id="top"><span>Mirror of the manual</span> <a href="https://mirror.example.org/">start</a></div>
<div id="content">${body}</div><div id="bottom">Mirrored with permission.</div></body></html>`;
}

function textOf(html: string): string[] {
  // Paragraph-ish blocks as text: enough for Markdown and plain-text renderings of a page.
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .split(/<\/?(?:p|pre|h[1-6]|li|dt|dd|tr|div|table)\b[^>]*>/i)
    .map((b) => b.replace(/<[^>]+>/g, " ").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/&nbsp;|&#160;/g, " ").replace(/\s+/g, " ").trim())
    .filter((b) => b.length > 0);
}

/** Replaces, deletes or inserts `share` of the words of the text nodes of `html`. */
function editWords(html: string, share: number, random: () => number): string {
  const fillers = ["very", "often", "simply", "notably", "also", "usually", "really", "typically"];
  return html.replace(/>([^<]+)</g, (_, text: string) => {
    const words = text.split(/(\s+)/);
    const out = words.map((w) => {
      if (!/\w/.test(w) || random() >= share) return w;
      const r = random();
      if (r < 0.4) return fillers[Math.floor(random() * fillers.length)]!;
      if (r < 0.7) return "";
      return `${w} ${fillers[Math.floor(random() * fillers.length)]!}`;
    });
    return `>${out.join("")}<`;
  });
}

const KINDS = ["markup", "whitespace-links", "edit-3pct", "markdown-edit", "plain-text", "appended-comment", "edit-8pct"] as const;

function nearCopy(kind: (typeof KINDS)[number], page: string, title: string, body: string, random: () => number): Omit<LabelledDocument, "duplicateOf" | "page" | "kind"> {
  const url = `https://mirror.example.org/docs/${kind}/${page}`;
  switch (kind) {
    case "markup":
      return { content: otherTemplate(title, body.replace(/ class="[^"]*"/g, "").replace(/<(\/?)div\b/g, "<$1section")), contentType: "text/html", url };
    case "whitespace-links":
      return {
        content: siteTemplate(title, body.replace(/\s+/g, "\n   ").replace(/href="([^"#][^"]*)"/g, 'href="https://mirror.example.org/docs/$1"')),
        contentType: "text/html",
        url,
      };
    case "edit-3pct":
      return { content: siteTemplate(title, editWords(body, 0.03, random)), contentType: "text/html", url };
    case "edit-8pct":
      return { content: siteTemplate(title, editWords(body, 0.08, random)), contentType: "text/html", url };
    case "markdown-edit": {
      const blocks = textOf(editWords(body, 0.02, random));
      return { content: `# ${title}\n\n${blocks.join("\n\n")}\n`, contentType: "text/markdown", url };
    }
    case "plain-text":
      return { content: `${title}\n\n${textOf(body).join("\n\n")}\n`, contentType: "text/plain", url };
    case "appended-comment":
      return {
        content: siteTemplate(title, `${body}<h3>Comments</h3><p>I ran into this last week: the example above works as written, but remember to check the server's version first, since older releases behave differently.</p>`),
        contentType: "text/html",
        url,
      };
  }
}

/** Pages of the manual with a body of at least `minWords` words, by chapter (file-name prefix). */
function chapters(minWords: number): Map<string, string[]> {
  const byChapter = new Map<string, string[]>();
  for (const f of readdirSync(PG_DOC_DIR).sort()) {
    if (!f.endsWith(".html") || statSync(path.join(PG_DOC_DIR, f)).size > 200_000) continue;
    const { body } = bodyOf(readFileSync(path.join(PG_DOC_DIR, f), "utf8"));
    if (textOf(body).join(" ").split(/\s+/).length < minWords) continue;
    const chapter = f.split(/[-.]/)[0]!;
    byChapter.set(chapter, [...(byChapter.get(chapter) ?? []), f]);
  }
  return byChapter;
}

/**
 * `originals` pages in the library; one near-copy each for `copies` of them
 * (kinds in rotation); `siblings` non-duplicates, each from a chapter that
 * has an original in the library.
 */
export function buildLabelledSet(options: { originals: number; copies: number; siblings: number; seed?: number; minWords?: number }): LabelledSet {
  const random = seededRandom(options.seed ?? 18);
  const byChapter = [...chapters(options.minWords ?? 80)].filter(([, pages]) => pages.length >= 2);
  const load = (page: string) => bodyOf(readFileSync(path.join(PG_DOC_DIR, page), "utf8"));
  const originals: LabelledDocument[] = [];
  const spare: string[] = [];
  // Round-robin over chapters: every chapter with an original keeps at least one sibling outside the library.
  const queues = byChapter.map(([, pages]) => [...pages].sort(() => random() - 0.5));
  while (originals.length < options.originals && queues.some((q) => q.length > 1)) {
    for (const q of queues) {
      if (originals.length >= options.originals) break;
      if (q.length <= 1) continue;
      const page = q.shift()!;
      const { title, body } = load(page);
      originals.push({ content: siteTemplate(title, body), contentType: "text/html", url: `https://docs.example.org/15/${page}`, duplicateOf: null, kind: "original", page });
    }
  }
  for (const q of queues) spare.push(...q);
  const inLibraryChapters = new Set(originals.map((o) => o.page.split(/[-.]/)[0]));
  const probes: LabelledDocument[] = [];
  for (let i = 0; i < Math.min(options.copies, originals.length); i++) {
    const original = originals[i]!;
    const kind = KINDS[i % KINDS.length]!;
    const { title, body } = load(original.page);
    probes.push({ ...nearCopy(kind, original.page, title, body, random), duplicateOf: original.page, kind, page: original.page });
  }
  const siblings = spare
    .filter((p) => inLibraryChapters.has(p.split(/[-.]/)[0]))
    .sort(() => random() - 0.5)
    .slice(0, options.siblings);
  for (const page of siblings) {
    const { title, body } = load(page);
    probes.push({ content: siteTemplate(title, body), contentType: "text/html", url: `https://docs.example.org/15/${page}`, duplicateOf: null, kind: "sibling", page });
  }
  return { originals, probes };
}
