/**
 * PDF → text, title, authors, description, language and link targets, with
 * unpdf (a serverless build of Mozilla's PDF.js: no worker, no canvas).
 *
 * PDF.js gives positioned text runs, not paragraphs. Lines are rebuilt from
 * runs that share a baseline, and a new paragraph starts where the gap to the
 * previous line is clearly larger than the page's usual line spacing, or where
 * a line is indented relative to the one before it. Words hyphenated across
 * a line break are rejoined.
 */
import type { StructuredTextItem } from "unpdf";
import { DocumentTooComplexError, UnparseableContentError } from "./errors";
import type { ExtractionLimits } from "./extractionLimits";
import type { FormatExtraction } from "./formatExtraction";
import { assertInflatedSizeWithin } from "./pdfInflation";
import { parseAuthorList } from "./authors";
import { languageFromTag } from "./language";
import { cleanField, joinParagraphs } from "./text";


interface Line {
  text: string;
  x: number;
  y: number;
  fontSize: number;
}

export async function extractPdf(bytes: Uint8Array, limits: Pick<ExtractionLimits, "maxPages" | "maxInflatedBytes">): Promise<FormatExtraction> {
  await assertInflatedSizeWithin(bytes, limits.maxInflatedBytes);
  // Loaded on first use: PDF.js is the largest part of the code, and most processes never read a PDF
  // (on AWS it is a separate file beside the bundle, so it is not even compiled at cold start).
  const { extractLinks, extractTextItems, getDocumentProxy, getMeta } = await import("unpdf");
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    // PDF.js may transfer (detach) the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(bytes));
  } catch (error) {
    throw new UnparseableContentError(`not a readable PDF: ${(error as Error).message}`, { cause: error });
  }
  try {
    if (pdf.numPages > limits.maxPages) {
      throw new DocumentTooComplexError(`it has ${pdf.numPages} pages; at most ${limits.maxPages} are read`);
    }
    const [meta, items, links] = await Promise.all([
      getMeta(pdf).catch(() => null),
      extractTextItems(pdf),
      extractLinks(pdf).catch(() => ({ links: [] as string[] })),
    ]);
    const paragraphs = items.items.flatMap((pageItems) => pageParagraphs(pageItems));
    const text = joinParagraphs(paragraphs);
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const xmp = meta?.metadata;
    const firstParagraph = paragraphs[0] ?? null;
    return {
      text,
      title: usableTitle(stringField(info["Title"]) ?? xmpField(xmp, "dc:title")) ?? titleFromFirstLine(firstParagraph),
      description: cleanField(stringField(info["Subject"]) ?? xmpField(xmp, "dc:description")),
      authors: parseAuthorList(stringField(info["Author"]) ?? xmpField(xmp, "dc:creator") ?? ""),
      language: languageFromTag(stringField(info["Language"]) ?? xmpField(xmp, "dc:language")),
      links: links.links.filter((link) => /^https?:\/\//i.test(link)),
    };
  } catch (error) {
    if (error instanceof UnparseableContentError || error instanceof DocumentTooComplexError) throw error;
    throw new UnparseableContentError(`could not read the PDF's text: ${(error as Error).message}`, { cause: error });
  } finally {
    await pdf.destroy();
  }
}

/** Group one page's runs into lines, then lines into paragraphs. */
export function pageParagraphs(items: StructuredTextItem[]): string[] {
  const lines = groupLines(items).filter((line) => line.text.trim() !== "");
  if (lines.length === 0) return [];
  const spacing = medianLineSpacing(lines);
  const paragraphs: string[] = [];
  let current = "";
  lines.forEach((line, index) => {
    const previous = lines[index - 1];
    if (previous && startsParagraph(previous, line, spacing)) {
      paragraphs.push(current);
      current = "";
    }
    current = appendLine(current, line.text.trim());
  });
  paragraphs.push(current);
  return paragraphs;
}

function groupLines(items: StructuredTextItem[]): Line[] {
  const lines: Line[] = [];
  let line: Line | null = null;
  let lastEnd = 0;
  for (const item of items) {
    const sameLine = line && Math.abs(item.y - line.y) <= Math.max(line.fontSize, item.fontSize, 1) * 0.4;
    if (!line || (!sameLine && item.str !== "")) {
      line = { text: "", x: item.x, y: item.y, fontSize: item.fontSize || 10 };
      lines.push(line);
    } else if (needsSpace(line.text, item, lastEnd)) {
      // Some generators position words without emitting space characters.
      line.text += " ";
    }
    line.text += item.str;
    if (item.str !== "") lastEnd = item.x + item.width;
    if (item.str.trim() !== "" && item.fontSize > line.fontSize) line.fontSize = item.fontSize;
    if (item.hasEOL) line = null;
  }
  return lines;
}

function needsSpace(lineText: string, item: StructuredTextItem, lastEnd: number): boolean {
  if (lineText === "" || item.str === "" || /\s$/.test(lineText) || /^\s/.test(item.str)) return false;
  return item.x - lastEnd > (item.fontSize || 10) * 0.15;
}

function medianLineSpacing(lines: Line[]): number {
  const gaps = lines
    .slice(1)
    .map((line, index) => (lines[index]?.y ?? line.y) - line.y)
    .filter((gap) => gap > 0)
    .sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

function startsParagraph(previous: Line, line: Line, spacing: number): boolean {
  const gap = previous.y - line.y;
  if (gap <= 0) return true; // a new column or a jump back up the page
  if (spacing > 0 && gap > spacing * 1.3) return true;
  return line.x - previous.x > line.fontSize * 0.8; // first-line indent
}

/** Join a line to its paragraph, rejoining "dis-" + "cussion". */
function appendLine(paragraph: string, line: string): string {
  if (paragraph === "") return line;
  if (/\p{Ll}-$/u.test(paragraph) && /^\p{Ll}/u.test(line)) return paragraph.slice(0, -1) + line;
  return `${paragraph} ${line}`;
}

function stringField(value: unknown): string | null {
  return typeof value === "string" && value.trim() !== "" ? value : null;
}

function xmpField(metadata: { get(name: string): unknown } | null | undefined, name: string): string | null {
  try {
    const value: unknown = metadata?.get(name);
    if (Array.isArray(value)) return value.filter((entry) => typeof entry === "string").join("; ") || null;
    return stringField(value);
  } catch {
    return null;
  }
}

/** Word processors fill Title with file names and placeholders; those are not titles. */
function usableTitle(title: string | null): string | null {
  const clean = cleanField(title);
  if (!clean) return null;
  if (/^(untitled|title|document\d*|microsoft word - .*|.*\.(docx?|pdf|tex|dvi|odt|rtf|indd|ps))$/i.test(clean)) return null;
  return clean;
}

/** A short first line is most often the title of a paper without metadata. */
function titleFromFirstLine(firstParagraph: string | null): string | null {
  const clean = cleanField(firstParagraph);
  return clean && clean.length <= 200 ? clean : null;
}
