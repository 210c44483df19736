import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { UnsupportedContentError } from "@shared/ingest/errors";
import { contentTypeForFileName, looksLikeMarkdown, sniffContentType } from "@shared/ingest/sniff";

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../fixtures/ingest");
const fixture = async (relative: string): Promise<Uint8Array> => new Uint8Array(await readFile(path.join(FIXTURES, relative)));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe("sniffContentType", () => {
  it("recognises a PDF by its header whatever the label says", async () => {
    const pdf = await fixture("pdf/groff-meintro-p1-noinfo.pdf");
    for (const declaredType of [null, "application/pdf", "text/html", "application/octet-stream", "text/plain"]) {
      expect(sniffContentType({ bytes: pdf, declaredType })).toBe("application/pdf");
    }
  });

  it("recognises real HTML served without a label, as octet-stream or as text/plain", async () => {
    const html = await fixture("html/expat-reference.html"); // starts with an XML declaration
    for (const declaredType of [null, "application/octet-stream", "text/plain"]) {
      expect(sniffContentType({ bytes: html, declaredType })).toBe("text/html");
    }
    expect(sniffContentType({ bytes: await fixture("html/libffi-closure-example.html"), declaredType: null })).toBe("text/html");
  });

  it("treats a 'PDF' that is really an HTML error page as HTML", () => {
    expect(sniffContentType({ bytes: utf8("<!DOCTYPE html><html><body>Please log in</body></html>"), declaredType: "application/pdf" })).toBe(
      "text/html",
    );
  });

  it("uses the declared type or extension to tell markdown from plain text", async () => {
    const readme = await fixture("markdown/fast-levenshtein-README.md");
    expect(sniffContentType({ bytes: readme, declaredType: "text/markdown; charset=utf-8" })).toBe("text/markdown");
    expect(sniffContentType({ bytes: readme, declaredType: "text/plain", fileName: "/pkg/README.md" })).toBe("text/markdown");
    expect(sniffContentType({ bytes: readme, declaredType: "text/plain" })).toBe("text/plain");
    expect(sniffContentType({ bytes: readme, declaredType: null })).toBe("text/markdown"); // by its syntax
    const text = await fixture("text/nettle-README.txt");
    expect(sniffContentType({ bytes: text, declaredType: null })).toBe("text/plain");
  });

  it("does not mistake a README that opens with HTML for an HTML page", async () => {
    expect(sniffContentType({ bytes: await fixture("markdown/drizzle-orm-README.md"), declaredType: null })).toBe("text/markdown");
  });

  it("reads other text types (JSON, CSV, XML) as plain text", () => {
    expect(sniffContentType({ bytes: utf8('{"a": 1}'), declaredType: "application/json" })).toBe("text/plain");
    expect(sniffContentType({ bytes: utf8("a,b\n1,2\n"), declaredType: "text/csv" })).toBe("text/plain");
  });

  it.each([
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], null],
    ["JPEG", [0xff, 0xd8, 0xff, 0xe0, 0, 0x10], "text/html"],
    ["ZIP/DOCX", [0x50, 0x4b, 0x03, 0x04, 0x14, 0], "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
    ["gzip", [0x1f, 0x8b, 0x08, 0], "text/plain"],
    ["NUL-laden binary", [0x41, 0x42, 0, 0x43, 0x44], null],
  ])("refuses %s", (_name, bytes, declaredType) => {
    expect(() => sniffContentType({ bytes: Uint8Array.from(bytes), declaredType })).toThrow(UnsupportedContentError);
  });

  it("refuses a text body declared as an image (SVG)", () => {
    expect(() => sniffContentType({ bytes: utf8("<svg xmlns='http://www.w3.org/2000/svg'/>"), declaredType: "image/svg+xml" })).toThrow(
      UnsupportedContentError,
    );
  });

  it("accepts UTF-16 text with a byte-order mark", () => {
    const bytes = Uint8Array.from([0xff, 0xfe, ...Buffer.from("Hello, world", "utf16le")]);
    expect(sniffContentType({ bytes, declaredType: null })).toBe("text/plain");
  });
});

describe("contentTypeForFileName and looksLikeMarkdown", () => {
  it("maps extensions", () => {
    expect(contentTypeForFileName("/a/b/Paper.PDF")).toBe("application/pdf");
    expect(contentTypeForFileName("notes.markdown")).toBe("text/markdown");
    expect(contentTypeForFileName("index.htm")).toBe("text/html");
    expect(contentTypeForFileName("README")).toBeNull();
  });

  it("needs structural markdown, not a stray symbol", () => {
    expect(looksLikeMarkdown("Price: 5 * 3 = 15, see item #4.")).toBe(false);
    expect(looksLikeMarkdown("# Title\n\n- one\n- two\n")).toBe(true);
  });
});
