/**
 * Bytes to a string, choosing the character encoding the way browsers do, in
 * short: byte-order mark, then the declared charset, then (for HTML) a
 * <meta charset> or XML declaration in the first kilobyte, then UTF-8 if the
 * bytes are valid UTF-8, else windows-1252 (which never fails and is what
 * unlabelled legacy Western pages almost always are).
 */

export interface DecodeOptions {
  /** charset parameter from Content-Type, if any. */
  charset?: string | null;
  /** Look for <meta charset> / XML encoding declarations. */
  html?: boolean;
}

export function decodeText(bytes: Uint8Array, options: DecodeOptions = {}): string {
  const fromBom = encodingFromBom(bytes);
  if (fromBom) return new TextDecoder(fromBom).decode(bytes); // strips the BOM
  for (const label of [options.charset, options.html ? declaredInMarkup(bytes) : null]) {
    const decoder = decoderFor(label);
    if (decoder) return decodeWith(decoder, bytes);
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return decodeWith(new TextDecoder("windows-1252"), bytes);
  }
}

function decodeWith(decoder: TextDecoder, bytes: Uint8Array): string {
  const text = decoder.decode(bytes);
  return decoder.encoding === "windows-1252" ? repairWindows1252(text) : text;
}

/**
 * Node's TextDecoder decodes "windows-1252" (and the latin1/iso-8859-1/ascii
 * labels the Encoding Standard maps to it) as ISO-8859-1, turning bytes
 * 0x80-0x9F into C1 control characters instead of “smart quotes”, dashes,
 * € and the like. Map them as windows-1252 does.
 */
const WINDOWS_1252_HIGH = "€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ";

function repairWindows1252(text: string): string {
  return text.replace(/[\u0080-\u009F]/g, (control) => WINDOWS_1252_HIGH[control.charCodeAt(0) - 0x80] ?? control);
}

function encodingFromBom(bytes: Uint8Array): string | null {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return "utf-8";
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return "utf-16be";
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return "utf-16le";
  return null;
}

function decoderFor(label: string | null | undefined): TextDecoder | null {
  if (!label) return null;
  try {
    const decoder = new TextDecoder(label.trim());
    // A page cannot really be UTF-16 if an ASCII-compatible prescan found its
    // declaration; browsers treat that as UTF-8, and so do we.
    return decoder.encoding.startsWith("utf-16") ? new TextDecoder("utf-8") : decoder;
  } catch {
    return null; // unknown label: fall through to the next clue
  }
}

/** The encoding named by <meta charset>, <meta http-equiv content="...charset=">, or <?xml encoding=?>. */
export function declaredInMarkup(bytes: Uint8Array): string | null {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).toString("latin1");
  const patterns = [
    /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i,
    /<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)["']/i,
  ];
  for (const pattern of patterns) {
    const label = pattern.exec(head)?.[1];
    if (label) return label;
  }
  return null;
}
