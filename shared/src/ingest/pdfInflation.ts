/**
 * Measure, without keeping it, what a PDF's Flate-compressed streams inflate
 * to, before PDF.js reads them: PDF.js inflates a stream whole into one
 * growing buffer, outside the V8 heap (so outside any heap limit), and a
 * 1 MB stream can inflate to 1 GB.
 *
 * Image streams are skipped: text extraction never decodes them, and scanned
 * pages are legitimately large. The scan is approximate on purpose (each
 * `stream` keyword, its dictionary taken as the text since the object began);
 * a stream it misreads is PDF.js's to reject, and the heap limit and timeout of
 * the sandbox still stand behind it.
 */
import { createInflate, constants } from "node:zlib";
import { DocumentTooComplexError } from "./errors";

const STREAM_START = /stream\r?\n/g;

export async function assertInflatedSizeWithin(bytes: Uint8Array, maxBytes: number): Promise<void> {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
  let total = 0;
  for (const match of text.matchAll(STREAM_START)) {
    if (text.slice(Math.max(0, match.index - 3), match.index) === "end") continue; // "endstream"
    const objectStart = text.lastIndexOf(" obj", match.index);
    const dictionary = text.slice(Math.max(objectStart, match.index - 4096, 0), match.index);
    if (!dictionary.includes("/FlateDecode") || /\/Subtype\s*\/Image/.test(dictionary)) continue;
    const dataStart = match.index + match[0].length;
    const dataEnd = text.indexOf("endstream", dataStart);
    if (dataEnd === -1) continue;
    total += await inflatedLength(bytes.subarray(dataStart, dataEnd), maxBytes - total);
    if (total > maxBytes) {
      throw new DocumentTooComplexError(`its compressed streams inflate to more than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
    }
  }
}

/** Bytes `data` inflates to, counting stops just past `limit`; corrupt data counts what came out. */
function inflatedLength(data: Uint8Array, limit: number): Promise<number> {
  return new Promise((resolve) => {
    const inflate = createInflate({ finishFlush: constants.Z_SYNC_FLUSH });
    let total = 0;
    inflate.on("data", (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        inflate.destroy();
        resolve(total);
      }
    });
    inflate.on("end", () => resolve(total));
    inflate.on("error", () => resolve(total));
    inflate.end(data);
  });
}
