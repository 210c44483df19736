/**
 * Split a free-text author field into names. Cleaning only: canonical forms
 * ("Smith, John" vs "John Smith", initials) are decided elsewhere.
 *
 * Separators, strongest first: newline, ";", " and ", " & ", then commas. A
 * comma is ambiguous: "Smith, John" is one inverted name, "Ann Lee, Bo Chen"
 * two names. Commas are read as "surname, given" only when the whole list is
 * clearly of that form: every part split off by the stronger separators holds
 * surname/given pairs, and no serial ", and" was used.
 *
 * @example
 * parseAuthorList("Alice Smith, Bob Jones, and Carol White") // three names
 * parseAuthorList("Smith, John and Doe, Jane")               // ["Smith, John", "Doe, Jane"]
 * parseAuthorList("By Jane Roe <jane@example.org>")          // ["Jane Roe"]
 */

const SUFFIXES = new Set(["jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "phd", "ph.d.", "md", "m.d.", "esq", "esq."]);
const PARTICLES = new Set(["van", "von", "der", "den", "de", "del", "della", "di", "da", "du", "la", "le", "dos", "das", "bin", "ibn", "al", "ter", "ten"]);
const NOT_NAMES = /^(?:et\.?\s*al\.?|others|anonymous|unknown|n\/a|admin|staff)$/i;

export function parseAuthorList(raw: string | string[]): string[] {
  const inputs = Array.isArray(raw) ? raw : [raw];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    for (const name of splitOne(input)) {
      const key = name.toLowerCase();
      if (!seen.has(key)) {
        seen.add(key);
        names.push(name);
      }
    }
  }
  return names;
}

function splitOne(input: string): string[] {
  const cleaned = stripNoise(input);
  if (cleaned === "") return [];
  const serialComma = /,\s*(?:and|&)\s/i.test(cleaned);
  const groups = cleaned
    .split(/\s*(?:\n|;|\s+and\s+|\s+&\s+|\s+with\s+)\s*/i)
    .map((group) => group.replace(/^[\s,]+|[\s,]+$/g, ""))
    .filter((group) => group !== "");
  const tokenGroups = groups.map((group) => attachSuffixes(group.split(/\s*,\s*/).filter((token) => token !== "")));
  const inverted =
    !serialComma && tokenGroups.length > 0 && tokenGroups.every((tokens) => tokens.length >= 2 && isInvertedPairs(tokens));
  const names = inverted
    ? tokenGroups.flatMap((tokens) => pairUp(tokens))
    : tokenGroups.flat();
  return names.map(cleanName).filter((name): name is string => name !== null);
}

/** Drop a leading "by", e-mail addresses, URLs, bracketed affiliations/e-mails and stray quotes. */
function stripNoise(input: string): string {
  return input
    .replace(/<[^>]*@[^>]*>|\([^)]*@[^)]*\)|\[[^\]]*@[^\]]*\]/g, " ")
    .replace(/\b(?:mailto:)?[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, " ")
    .replace(/\bhttps?:\/\/\S+/g, " ")
    .replace(/^\s*(?:written\s+)?by[:\s]+/i, "")
    .replace(/,?\s*\bet\.?\s*al\b\.?/gi, " ")
    .replace(/[“”"]/g, "")
    .replace(/[ \t]+/g, " ")
    .trim();
}

/** "John Smith", "Jr." → "John Smith, Jr.": a suffix is never a name of its own. */
function attachSuffixes(tokens: string[]): string[] {
  const out: string[] = [];
  for (const token of tokens) {
    const previous = out.length - 1;
    if (previous >= 0 && SUFFIXES.has(token.toLowerCase())) out[previous] = `${out[previous]}, ${token}`;
    else out.push(token);
  }
  return out;
}

function isInvertedPairs(tokens: string[]): boolean {
  if (tokens.length % 2 !== 0) return false;
  for (let index = 0; index < tokens.length; index += 2) {
    if (!isSurnameGivenPair(tokens[index] ?? "", tokens[index + 1] ?? "")) return false;
  }
  return true;
}

/**
 * "Smith" + "John", "van Rossum" + "Guido", "García Márquez" + "G." are
 * pairs; "Ann Lee" + "Bo Chen" is not (two full names).
 */
function isSurnameGivenPair(surname: string, given: string): boolean {
  const surnameWords = surname.split(/\s+/);
  const coreSurnameWords = surnameWords.filter((word) => !PARTICLES.has(word.toLowerCase()));
  const givenWords = given.replace(/,\s*/g, " ").split(/\s+/);
  if (givenWords.length > 3 || surnameWords.length > 4) return false;
  if (!/\p{L}/u.test(surname) || !/\p{L}/u.test(given)) return false;
  return coreSurnameWords.length <= 1 || isInitials(given) || (givenWords.length === 1 && coreSurnameWords.length <= 2);
}

/** "J.", "J. R.", "JR", "J.-P." */
function isInitials(text: string): boolean {
  return /^(?:\p{Lu}\.?(?:[\s-]*\p{Lu}\.?)*)$/u.test(text.trim());
}

function pairUp(tokens: string[]): string[] {
  const names: string[] = [];
  for (let index = 0; index + 1 < tokens.length; index += 2) names.push(`${tokens[index]}, ${tokens[index + 1]}`);
  return names;
}

function cleanName(name: string): string | null {
  const clean = name
    .replace(/\s+/g, " ")
    .replace(/^[\s'‘’.,:-]+|[\s'‘’,:;-]+$/g, "")
    .trim();
  if (clean === "" || clean.length > 120) return null;
  if (!/\p{L}/u.test(clean) || NOT_NAMES.test(clean)) return null;
  return clean;
}
