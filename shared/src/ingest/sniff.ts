/**
 * Decide what a body really is, from its bytes first and its labels second.
 *
 * Bytes win where they are unambiguous (a PDF header, an image signature, NUL
 * bytes), because servers mislabel: a "PDF" link that answers with an HTML
 * login page, an HTML page served as application/octet-stream. Labels (the
 * declared media type, then the file extension) decide between the text
 * formats, where bytes alone cannot tell markdown from plain text.
 */
import { UnsupportedContentError } from "./errors";
import { mediaTypeOf } from "./mediaType";

export type SupportedContentType = "text/html" | "application/pdf" | "text/markdown" | "text/plain";

export interface SniffInput {
  bytes: Uint8Array;
  /** Declared media type (parameters allowed), e.g. from Content-Type. */
  declaredType: string | null;
  /** A file name or URL path, for its extension. */
  fileName?: string | null;
}

const SAMPLE_BYTES = 8192;

export function sniffContentType(input: SniffInput): SupportedContentType {
  const { bytes } = input;
  const declared = mediaTypeOf(input.declaredType);
  const byExtension = input.fileName ? contentTypeForFileName(input.fileName) : null;

  if (hasPdfHeader(bytes)) return "application/pdf";
  const signature = binarySignature(bytes);
  if (signature) throw new UnsupportedContentError(`unsupported content: the bytes are ${signature}`);
  if (looksBinary(bytes)) {
    throw new UnsupportedContentError(`unsupported content: binary data${declared ? ` (declared ${declared})` : ""}`);
  }
  if (declared && isBinaryMediaType(declared)) {
    throw new UnsupportedContentError(`unsupported content type ${declared}`);
  }

  const head = textHead(bytes);
  if (declared === "text/html" || declared === "application/xhtml+xml") return "text/html";
  if (declared === "text/markdown" || declared === "text/x-markdown") return "text/markdown";
  if (byExtension === "text/markdown") return "text/markdown";
  if (byExtension === "text/html") return "text/html";
  // Raw HTML served as text/plain or without a label is still HTML to us: we
  // want its text, not its tags. (Browsers refuse this sniff for security;
  // we never render, so it is safe here.)
  if (startsLikeHtml(head) && !looksLikeMarkdown(head)) return "text/html";
  if (declared === null || declared === "application/octet-stream") {
    return looksLikeMarkdown(head) ? "text/markdown" : "text/plain";
  }
  // A PDF label on text bytes (no %PDF- header) falls through to here.
  return "text/plain";
}

/** Media type implied by a file name's extension; null when unknown. */
export function contentTypeForFileName(fileName: string): SupportedContentType | null {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? "";
  const extension = /\.([a-z0-9]+)$/i.exec(lastSegment)?.[1]?.toLowerCase();
  switch (extension) {
    case "html":
    case "htm":
    case "xhtml":
      return "text/html";
    case "md":
    case "markdown":
    case "mdown":
    case "mkd":
      return "text/markdown";
    case "txt":
    case "text":
      return "text/plain";
    case "pdf":
      return "application/pdf";
    default:
      return null;
  }
}

/** "%PDF-" within the first kilobyte (some generators put junk before it, as readers tolerate). */
export function hasPdfHeader(bytes: Uint8Array): boolean {
  const window = latin1(bytes.subarray(0, 1024));
  return window.includes("%PDF-");
}

const SIGNATURES: Array<{ name: string; magic: number[]; offset?: number }> = [
  { name: "a PNG image", magic: [0x89, 0x50, 0x4e, 0x47] },
  { name: "a JPEG image", magic: [0xff, 0xd8, 0xff] },
  { name: "a GIF image", magic: [0x47, 0x49, 0x46, 0x38] },
  { name: "a WebP/RIFF file", magic: [0x52, 0x49, 0x46, 0x46] },
  { name: "a ZIP archive (or an Office/EPUB document)", magic: [0x50, 0x4b, 0x03, 0x04] },
  { name: "gzip-compressed data", magic: [0x1f, 0x8b] },
  { name: "an executable (ELF)", magic: [0x7f, 0x45, 0x4c, 0x46] },
  { name: "PostScript", magic: [0x25, 0x21, 0x50, 0x53] },
  { name: "an RTF document", magic: [0x7b, 0x5c, 0x72, 0x74, 0x66] },
  { name: "an Ogg media file", magic: [0x4f, 0x67, 0x67, 0x53] },
  { name: "an MP3 file", magic: [0x49, 0x44, 0x33] },
  { name: "an ISO media file (MP4/HEIC...)", magic: [0x66, 0x74, 0x79, 0x70], offset: 4 },
];

function binarySignature(bytes: Uint8Array): string | null {
  for (const { name, magic, offset = 0 } of SIGNATURES) {
    if (bytes.length >= offset + magic.length && magic.every((byte, index) => bytes[offset + index] === byte)) {
      return name;
    }
  }
  return null;
}

/**
 * NUL bytes, or more than 2% control characters other than tab, newlines,
 * form feed and escape, in the first 8 KB. UTF-16 text (with a BOM) is text.
 */
export function looksBinary(bytes: Uint8Array): boolean {
  if (hasUtf16Bom(bytes)) return false;
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  let suspicious = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c && byte !== 0x1b) suspicious++;
  }
  return sample.length > 0 && suspicious / sample.length > 0.02;
}

function hasUtf16Bom(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xfe && bytes[1] === 0xff) || (bytes[0] === 0xff && bytes[1] === 0xfe);
}

function isBinaryMediaType(mediaType: string): boolean {
  return /^(image|audio|video|font|model)\//.test(mediaType) || mediaType === "application/zip";
}

/** The start of the body as text, good enough for marker tests (ASCII markers only). */
function textHead(bytes: Uint8Array): string {
  const sample = bytes.subarray(0, SAMPLE_BYTES);
  if (hasUtf16Bom(sample)) {
    return new TextDecoder(sample[0] === 0xfe ? "utf-16be" : "utf-16le").decode(sample);
  }
  return latin1(sample);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

const HTML_START =
  /^<(?:!doctype\s+html|html|head|body|script|iframe|h[1-6]|div|font|table|a|style|title|b|br|p|meta|link|main|article|section|nav|header)[\s>/]/i;

/** WHATWG-style: after BOM, whitespace, an XML declaration and comments, does an HTML tag open? */
export function startsLikeHtml(head: string): boolean {
  let rest = head.replace(/^\uFEFF/, "").replace(/^ï»¿/, "");
  for (;;) {
    rest = rest.trimStart();
    const prolog = /^<\?xml[^>]*\?>|^<!--[\s\S]*?-->/.exec(rest);
    if (!prolog) break;
    rest = rest.slice(prolog[0].length);
  }
  return HTML_START.test(rest);
}

/**
 * At least two kinds of markdown syntax, one of them structural (heading,
 * fence, link, front matter): prose with a stray "#" or "*" stays plain text.
 */
export function looksLikeMarkdown(head: string): boolean {
  const structural = [
    /^#{1,6}[ \t]+\S/m, // ATX heading
    /^(```|~~~)/m, // fenced code
    /\[[^\]\n]+\]\((?:https?:\/\/|\.{0,2}\/|#)[^)\s]*\)/, // inline link
    /^---\r?\n[\s\S]*?\r?\n---\r?\n/, // front matter
    /^\S[^\n]*\r?\n(?:=+|-+)[ \t]*$/m, // setext heading
  ].filter((pattern) => pattern.test(head)).length;
  const inline = [
    /^[ \t]*[-*+][ \t]+\S/m, // bullet list
    /\*\*[^*\n]+\*\*/, // strong emphasis
    /`[^`\n]+`/, // inline code
    /^>[ \t]/m, // block quote
    /^\|.*\|[ \t]*$/m, // table row
  ].filter((pattern) => pattern.test(head)).length;
  return structural >= 1 && structural + inline >= 2;
}
