/** One spelling per tag: NFC, lower case, inner spaces collapsed ("Reading  List" and "reading list" are one tag). */
export function tagKey(name: string): string {
  return name.normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase();
}
