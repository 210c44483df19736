/**
 * Reading Content-Type values: "Text/HTML; charset=UTF-8" → "text/html" + "UTF-8".
 */

/** The media type, lowercased, without parameters; null when absent or malformed. */
export function mediaTypeOf(contentType: string | null | undefined): string | null {
  if (!contentType) return null;
  const essence = contentType.split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence) ? essence : null;
}

/** One parameter's value (quotes removed), or null. */
export function parameterOf(contentType: string | null | undefined, name: string): string | null {
  if (!contentType) return null;
  for (const part of contentType.split(";").slice(1)) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    if (part.slice(0, separator).trim().toLowerCase() !== name) continue;
    const value = part.slice(separator + 1).trim().replace(/^"(.*)"$/, "$1");
    return value === "" ? null : value;
  }
  return null;
}
