/**
 * extractDocument on real documents (see test/fixtures/ingest/README.md for
 * where each comes from). Metadata that none of the real samples carries
 * (Open Graph, citation_*, JSON-LD, front matter authors) is tested on small
 * constructed documents, marked as such.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PermanentError } from "@shared/errors";
import { UnparseableContentError, UnsupportedContentError } from "@shared/ingest/errors";
import { extractDocument, type ExtractedDocument } from "@shared/ingest/extract";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/ingest");

async function extractFixture(relative: string, contentType: string | null, url?: string): Promise<ExtractedDocument> {
  const bytes = new Uint8Array(await readFile(path.join(FIXTURES, relative)));
  return extractDocument({ bytes, contentType, url: url ?? `https://docs.example.org/${relative}` });
}

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** The shared text shape: paragraphs split by exactly one blank line, no stray whitespace. */
function expectNormalisedText(text: string): void {
  expect(text).not.toMatch(/\n{3,}/);
  expect(text).not.toMatch(/[ \t]{2,}/);
  expect(text).not.toMatch(/^\s|\s$/);
  for (const paragraph of text.split("\n\n")) expect(paragraph).not.toContain("\n");
}

describe("HTML", () => {
  it("keeps the article of an mdBook page and leaves out its menus, popups and theme picker", async () => {
    const doc = await extractFixture("html/rustdoc-what-is-rustdoc.html", "text/html");
    expect(doc.contentType).toBe("text/html");
    expect(doc.text).toContain("The standard Rust distribution ships with a tool called rustdoc.");
    expect(doc.text).toContain("This covers the simplest use-cases of rustdoc.");
    for (const boilerplate of ["Keyboard shortcuts", "Press Esc to hide this help", "Search this book", "Navy", "Ayu"]) {
      expect(doc.text).not.toContain(boilerplate);
    }
    expect(doc.text).toContain("\n\nBasic usage\n\n");
    expectNormalisedText(doc.text);
    // "<title>What is rustdoc? - The rustdoc book</title>": the site name goes.
    expect(doc.title).toBe("What is rustdoc?");
    expect(doc.language).toBe("en");
    expect(doc.description).toBeNull(); // the page declares an empty description
  });

  it("leaves out a texinfo page's Next/Previous/Up navigation", async () => {
    const doc = await extractFixture("html/libffi-closure-example.html", "text/html");
    expect(doc.text.startsWith("A trivial example that creates a new puts by binding fputs with stdout.")).toBe(true);
    expect(doc.text).not.toContain("Previous:");
    expect(doc.text).not.toContain("Thread Safety");
    expect(doc.title).toBe("Closure Example (libffi: the portable foreign function interface library)");
  });

  it("reads an XHTML manual declared iso-8859-1 without a content type: author without e-mail, links as citations", async () => {
    const doc = await extractFixture("html/expat-reference.html", null);
    expect(doc.contentType).toBe("text/html");
    expect(doc.title).toBe("Expat XML Parser");
    expect(doc.authors).toEqual(["Clark Cooper"]);
    expect(doc.text).toContain("Expat is a library, written in C, for parsing XML documents.");
    expect(doc.text).not.toContain("Permission is hereby granted"); // the license sits in a comment
    const urls = doc.citations.map((citation) => citation.value);
    expect(urls).toContain("http://www.libexpat.org/");
    expect(urls).toContain("https://en.wikipedia.org/wiki/Billion_laughs_attack");
    expect(doc.language).toBe("en");
  });

  it("reads description, author and lang from a small real page", async () => {
    const doc = await extractFixture("html/adduser-skel-index.html", null);
    expect(doc).toMatchObject({
      title: "My Home Page",
      description: "The user's default home page",
      authors: ["The user"],
      language: "en",
    });
    expect(doc.text).toContain("Welcome to my home page on the World Wide Web!");
  });

  it("prefers Open Graph/citation metadata, one author per citation_author tag (constructed page)", async () => {
    const html = `<!doctype html><html lang="de-DE"><head>
      <title>Ein Artikel | Beispielverlag</title>
      <meta property="og:title" content="Über Bibliotheken">
      <meta name="description" content="Eine kurze Beschreibung.">
      <meta property="og:description" content="Die Open-Graph-Beschreibung.">
      <meta name="citation_author" content="Müller, Anna">
      <meta name="citation_author" content="Schmidt, Jonas">
      <meta name="author" content="Redaktion">
      <meta property="article:author" content="https://example.de/autor/anna">
      </head><body>
      <nav><a href="/">Startseite</a> <a href="/archiv">Archiv</a> <a href="/impressum">Impressum</a></nav>
      <article><h1>Über Bibliotheken</h1>
      <p>Die Bibliothek ist ein Ort, an dem Bücher gesammelt und für die Leser bereitgestellt werden. Sie wird von vielen Menschen genutzt, die dort lernen und arbeiten.</p>
      <p>Mehr dazu steht in <a href="/quellen/studie">der Studie</a> und unter doi:10.1000/Bib.2024.7.</p></article>
      <footer>© Beispielverlag · Alle Rechte vorbehalten</footer>
      </body></html>`;
    const doc = await extractDocument({ bytes: utf8(html), contentType: "text/html; charset=utf-8", url: "https://example.de/artikel/1" });
    expect(doc.title).toBe("Über Bibliotheken");
    expect(doc.description).toBe("Eine kurze Beschreibung.");
    expect(doc.authors).toEqual(["Müller, Anna", "Schmidt, Jonas"]);
    expect(doc.language).toBe("de");
    expect(doc.text).toContain("Die Bibliothek ist ein Ort");
    expect(doc.text).not.toContain("Impressum");
    expect(doc.text).not.toContain("Alle Rechte vorbehalten");
    expect(doc.citations.map((citation) => `${citation.kind}:${citation.value}`)).toEqual([
      "doi:10.1000/bib.2024.7",
      "url:https://example.de/quellen/studie",
    ]);
  });

  it("takes authors from JSON-LD when there are no citation tags, and detects the language when none is declared (constructed page)", async () => {
    const html = `<html><head><title>Post</title>
      <script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"WebSite","name":"Site"},
        {"@type":"BlogPosting","headline":"Notes on Indexing","author":[{"@type":"Person","name":"Ada Lovelace"},{"@type":"Person","givenName":"Charles","familyName":"Babbage"}]}]}</script>
      <script type="application/ld+json">{ broken json</script>
      </head><body><p>The index of a library is the part that tells you where each of the books can be found, and it is one of the oldest tools that we have for finding things. It was kept on cards for a long time, and then in a database.</p></body></html>`;
    const doc = await extractDocument({ bytes: utf8(html), contentType: "text/html", url: null });
    expect(doc.title).toBe("Notes on Indexing");
    expect(doc.authors).toEqual(["Ada Lovelace", "Charles Babbage"]);
    expect(doc.language).toBe("en");
  });

  it("falls back to the body text when Readability finds no article", async () => {
    const doc = await extractDocument({ bytes: utf8("<p>Short note.</p>"), contentType: "text/html" });
    expect(doc.text).toBe("Short note.");
  });

  it("decodes a windows-1252 page by its <meta charset>", async () => {
    const bytes = Uint8Array.from(Buffer.from('<html><head><meta charset="windows-1252"><title>Caf\xe9</title></head><body><p>Cr\xe8me br\xfbl\xe9e \x96 d\xe9j\xe0 vu.</p></body></html>', "latin1"));
    const doc = await extractDocument({ bytes, contentType: "text/html" });
    expect(doc.title).toBe("Café");
    expect(doc.text).toBe("Crème brûlée – déjà vu.");
  });
});

describe("PDF", () => {
  it("reads text with paragraphs, rejoins hyphenated words, and takes title/author/subject from the info dictionary", async () => {
    const doc = await extractFixture("pdf/groff-meintro-p1-3.pdf", "application/pdf");
    expect(doc.contentType).toBe("application/pdf");
    expect(doc.title).toBe("Writing Papers with GROFF using -me");
    expect(doc.authors).toEqual(["Eric P. Allman", "James Clark"]);
    expect(doc.description).toBe("An introduction to the -me macro package");
    expect(doc.language).toBe("en");
    expect(doc.text).toContain("This document describes the text processing facilities available on the UNIX");
    // "dis-" ends a line and "cussion" starts the next one in the PDF.
    expect(doc.text).toContain("For a complete discussion of this and other issues");
    expect(doc.text.split("\n\n").length).toBeGreaterThan(15);
    expectNormalisedText(doc.text);
  });

  it("takes the title from the first line when the PDF has no metadata", async () => {
    const doc = await extractFixture("pdf/groff-meintro-p1-noinfo.pdf", null);
    expect(doc.title).toBe("Writing Papers with GROFF using \u2212me");
    expect(doc.authors).toEqual([]);
    expect(doc.text).toContain("Section 1 describes the basics of text processing.");
  });

  it("sniffs a PDF mislabelled as HTML", async () => {
    const doc = await extractFixture("pdf/groff-meintro-p1-noinfo.pdf", "text/html");
    expect(doc.contentType).toBe("application/pdf");
  });

  it("refuses a truncated PDF as unparseable (permanent)", async () => {
    const bytes = new Uint8Array(await readFile(path.join(FIXTURES, "pdf/groff-meintro-p1-noinfo.pdf"))).subarray(0, 600);
    const error = await extractDocument({ bytes, contentType: "application/pdf" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(UnparseableContentError);
    expect(error).toBeInstanceOf(PermanentError);
  });
});

describe("Markdown", () => {
  it("strips syntax from a real README: headings, badges, links, code fences, emphasis", async () => {
    const doc = await extractFixture("markdown/fast-levenshtein-README.md", null);
    expect(doc.contentType).toBe("text/markdown");
    expect(doc.title).toBe("fast-levenshtein - Levenshtein algorithm in Javascript");
    expect(doc.text).toContain("An efficient Javascript implementation of the Levenshtein algorithm with locale-specific collator support.");
    expect(doc.text).toContain("\n\nFeatures\n\nWorks in node.js and in the browser.\n\n");
    for (const syntax of ["](", "![", "```", "## ", "**", "Build Status"]) expect(doc.text).not.toContain(syntax);
    expect(doc.citations.map((citation) => citation.value)).toContain("http://en.wikipedia.org/wiki/Levenshtein_distance");
    expectNormalisedText(doc.text);
  });

  it("reads front matter for the description and keeps it out of the text", async () => {
    const doc = await extractFixture("markdown/playwright-trace-SKILL.md", "text/plain", "https://docs.example.org/SKILL.md");
    expect(doc.contentType).toBe("text/markdown"); // by extension, over a generic text/plain label
    expect(doc.title).toBe("Playwright Trace CLI");
    expect(doc.description).toMatch(/^Inspect Playwright trace files from the command line/);
    expect(doc.text).not.toContain("allowed-tools");
    expect(doc.text.startsWith("Playwright Trace CLI")).toBe(true);
  });

  it("finds the arXiv paper cited in Rust's dec2flt module documentation", async () => {
    const doc = await extractFixture("markdown/rust-dec2flt-module-doc.md", "text/markdown");
    expect(doc.citations).toEqual([{ kind: "arxiv", value: "2101.11408", raw: "https://arxiv.org/abs/2101.11408" }]);
    expect(doc.title).toBe("Problem statement");
    expect(doc.text).toContain("We are given a decimal string such as 12.34e56.");
    expect(doc.text).not.toContain("`");
  });

  it("takes the first heading of an HTML-heavy README and keeps HTML tags out", async () => {
    const doc = await extractFixture("markdown/drizzle-orm-README.md", "text/markdown");
    expect(doc.title).toBe("Headless ORM for NodeJS, TypeScript and JavaScript 🚀");
    expect(doc.text).not.toMatch(/<\/?[a-z]/i);
    expect(doc.text).toContain("Drizzle is a modern TypeScript ORM developers wanna use in their next project.");
  });

  it("reads authors, title and language from front matter (constructed document)", async () => {
    const markdown = [
      "---",
      'title: "A Field Guide to Catalogues"',
      "authors:",
      "  - Smith, John",
      "  - Doe, Jane",
      "lang: fr-CA",
      "description: How catalogues grew. # trailing comment",
      "---",
      "",
      "# Heading that is not the title",
      "",
      "Some *emphasis*, some snake_case_names and a [link](https://example.org/a).",
    ].join("\n");
    const doc = await extractDocument({ bytes: utf8(markdown), contentType: "text/markdown" });
    expect(doc).toMatchObject({
      title: "A Field Guide to Catalogues",
      authors: ["Smith, John", "Doe, Jane"],
      language: "fr",
      description: "How catalogues grew.",
    });
    expect(doc.text).toBe("Heading that is not the title\n\nSome emphasis, some snake_case_names and a link.");
    expect(doc.citations).toEqual([{ kind: "url", value: "https://example.org/a", raw: "https://example.org/a" }]);
  });
});

describe("plain text", () => {
  it("takes a short first line as the title and drops underline rules", async () => {
    const doc = await extractFixture("text/base-passwd-README.txt", "text/plain");
    expect(doc.contentType).toBe("text/plain");
    expect(doc.title).toBe("base-passwd for Debian");
    expect(doc.text).not.toContain("-----");
    expect(doc.text.startsWith("base-passwd for Debian\n\nThis package supplies")).toBe(true);
    expectNormalisedText(doc.text);
  });

  it("has no title when the first line reads as a sentence, decodes UTF-8 and finds URLs", async () => {
    const doc = await extractFixture("text/nettle-README.txt", "text/plain");
    expect(doc.title).toBeNull();
    expect(doc.text).toContain("Niels Möller");
    expect(doc.citations.map((citation) => citation.value)).toEqual([
      "http://www.lysator.liu.se/~nisse/nettle/",
      "https://lists.lysator.liu.se/mailman3/postorius/lists/nettle-bugs.lists.lysator.liu.se/",
    ]);
    expect(doc.language).toBe("en");
  });

  it("reads a 'By ...' line as authors", async () => {
    const doc = await extractDocument({ bytes: utf8("On Shelving\nBy Ann Lee and Bo Chen\n\nBooks go on shelves."), contentType: "text/plain" });
    expect(doc.title).toBe("On Shelving");
    expect(doc.authors).toEqual(["Ann Lee", "Bo Chen"]);
  });
});

describe("refusals", () => {
  it("refuses images and other binaries as unsupported (permanent)", async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    for (const [bytes, type] of [
      [png, "image/png"],
      [png, "text/html"],
      [Uint8Array.from([1, 2, 3, 0, 0, 7, 8, 9, 0, 1]), null],
    ] as const) {
      const error = await extractDocument({ bytes, contentType: type }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(UnsupportedContentError);
      expect(error).toBeInstanceOf(PermanentError);
    }
  });

  it("refuses empty documents and documents without text", async () => {
    await expect(extractDocument({ bytes: new Uint8Array(), contentType: "text/plain" })).rejects.toBeInstanceOf(UnparseableContentError);
    await expect(extractDocument({ bytes: utf8("  \n\n \t "), contentType: "text/plain" })).rejects.toBeInstanceOf(UnparseableContentError);
    await expect(extractDocument({ bytes: utf8("<html><body><script>var x=1</script></body></html>"), contentType: "text/html" })).rejects.toBeInstanceOf(
      UnparseableContentError,
    );
  });
});
