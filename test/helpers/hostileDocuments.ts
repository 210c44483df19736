/**
 * Documents built to hurt a parser, generated in the test (nothing stored):
 * a PDF whose one small Flate stream inflates to hundreds of MiB, PDFs with
 * many pages, and HTML nested or attributed beyond reason.
 */
import { createDeflate } from "node:zlib";

/** A minimal valid PDF: one page per content stream, Helvetica, a correct xref table. */
export function buildPdf(pages: Array<{ content: Buffer; flate: boolean }>): Uint8Array {
  const objects: Buffer[] = [];
  const pageIds = pages.map((_, index) => 4 + index * 2);
  objects.push(Buffer.from("<< /Type /Catalog /Pages 2 0 R >>"));
  objects.push(Buffer.from(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`));
  objects.push(Buffer.from("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"));
  pages.forEach((page, index) => {
    const contentId = 5 + index * 2;
    objects.push(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contentId} 0 R >>`));
    const filter = page.flate ? " /Filter /FlateDecode" : "";
    objects.push(Buffer.concat([Buffer.from(`<< /Length ${page.content.length}${filter} >>\nstream\n`), page.content, Buffer.from("\nendstream")]));
  });
  const parts: Buffer[] = [Buffer.from("%PDF-1.4\n")];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(offset);
    const object = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), body, Buffer.from("\nendobj\n")]);
    parts.push(object);
    offset += object.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((at) => `${String(at).padStart(10, "0")} 00000 n \n`)].join("");
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return new Uint8Array(Buffer.concat(parts));
}

export function textPage(text: string): { content: Buffer; flate: boolean } {
  return { content: Buffer.from(`BT /F1 12 Tf 72 712 Td (${text}) Tj ET`), flate: false };
}

/**
 * A one-page PDF whose content stream is a line of text followed by
 * `inflatedMiB` MiB of spaces, Flate-compressed (about 1 KiB per MiB), so the
 * file is small and what it inflates to is not. Compressed chunk by chunk: the
 * test never holds the inflated bytes.
 */
export async function pdfBomb(inflatedMiB: number): Promise<Uint8Array> {
  const deflate = createDeflate({ level: 9 });
  const compressed: Buffer[] = [];
  deflate.on("data", (chunk: Buffer) => compressed.push(chunk));
  const done = new Promise((resolve) => deflate.on("end", resolve));
  deflate.write(Buffer.from("BT /F1 12 Tf 72 712 Td (A small page with a large secret) Tj ET\n"));
  const spaces = Buffer.alloc(1024 * 1024, 0x20);
  for (let i = 0; i < inflatedMiB; i += 1) {
    if (!deflate.write(spaces)) await new Promise((resolve) => deflate.once("drain", resolve));
  }
  deflate.end();
  await done;
  return buildPdf([{ content: Buffer.concat(compressed), flate: true }]);
}

/** `depth` nested <div>s around one word: recursive tree walkers overflow or crawl. */
export function deeplyNestedHtml(depth: number): string {
  return `<!doctype html><html><head><title>Deep</title></head><body>${"<div>".repeat(depth)}deep${"</div>".repeat(depth)}</body></html>`;
}

/** One element with `count` attributes. */
export function manyAttributesHtml(count: number): string {
  const attributes = Array.from({ length: count }, (_, index) => `data-a${index}="${index}"`).join(" ");
  return `<!doctype html><html><head><title>Attributes</title></head><body><p ${attributes}>Hello, attributes.</p></body></html>`;
}
