import { foldAccents } from "./text";

/**
 * Author name normalisation: parse the forms names take in citations and
 * metadata, and decide which strings name the same person.
 *
 * The rules, with their known limits, are in docs/classification.md ("Author
 * names"). In short: names are compared by family name (accent-folded,
 * particles kept) and then given name by given name, where an initial matches
 * any name starting with that letter and two spelled-out names must be equal.
 * Clustering merges a variant into a group only when it is compatible with
 * every member of exactly one group; an initial-only variant that fits two
 * people ("J. Smith" with both "John Smith" and "Jane Smith") stays apart.
 */

export interface ParsedName {
  /** Given names and initials in display form: "Donald", "E.", "Jean-Paul", "J.-P.". */
  given: string[];
  /** Family name in display form, particles included: "Knuth", "van der Berg", "de la Cruz". */
  family: string;
  /** Initials of the given names, uppercase, no dots: "DE", "JP". */
  initials: string;
  suffix?: string;
}

export interface AuthorCluster {
  /** The fullest display form, combining what the variants know ("Donald E. Knuth"). */
  canonical: string;
  /** {@link canonicalKey} of the canonical form: a blocking key, shared by e.g. "John Smith" and "Jane Smith". */
  key: string;
  /**
   * Distinguishes clusters that share a key: folded family and given names of
   * the canonical form ("smith|john", "smith|jane", "smith|j."). It changes
   * when a cluster learns more (an initial-only group later resolved to a
   * full name), so store it with the cluster, not as a permanent id.
   */
  identity: string;
  /** The input strings in this cluster, in input order, without duplicates. */
  variants: string[];
}

/** Lowercase particles that belong to the family name ("van der Berg", "de la Cruz", "al-"). */
const PARTICLES = new Set([
  "van", "von", "der", "den", "de", "del", "della", "dei", "di", "da", "du", "des", "la", "le", "lo",
  "dos", "das", "do", "ten", "ter", "te", "bin", "ibn", "al", "el", "zu", "af", "av",
]);
/** Generational suffixes, with their display form. */
const SUFFIXES = new Map([
  ["jr", "Jr."], ["junior", "Jr."], ["jnr", "Jr."], ["sr", "Sr."], ["senior", "Sr."], ["snr", "Sr."],
  ["ii", "II"], ["iii", "III"], ["iv", "IV"],
]);
/** Titles and degrees that are not part of a name ("MD" is not here: "Smith MD" is also initials). */
const HONORIFICS = new Set(["dr", "prof", "professor", "mr", "mrs", "ms", "sir", "dame", "phd", "dphil"]);

const EMPTY: ParsedName = { given: [], family: "", initials: "" };

// ---------------------------------------------------------------- parsing

/**
 * Parses one author name. Handles "Family, Given", "Given Family", citation
 * styles with trailing initials ("Smith JA", "KNUTH DE", "Smith J.A."),
 * particles ("van der Berg, Jan", "Jan van der Berg", "Berg, Jan van der"),
 * hyphenated given names and initials ("Jean-Paul", "J.-P."), suffixes
 * ("Jr.", "III") and all-caps input (displayed in title case).
 */
export function parseName(raw: string): ParsedName {
  const cleaned = clean(raw);
  if (cleaned.length === 0) return { ...EMPTY };
  return cleaned.includes(",") ? parseInverted(cleaned) : parseDirect(cleaned);
}

function clean(raw: string): string {
  return raw
    .normalize("NFC")
    .replace(/\([^)]*\)/g, " ") // "(ed.)", "(1950)"
    .replace(/\bet al\.?/gi, " ")
    .replace(/[;:"“”]+/g, " ")
    .replace(/\s+/g, " ")
    .replace(/^[\s,.]+|[\s,]+$/g, "")
    .split(" ")
    .filter((token) => !HONORIFICS.has(token.replace(/\./g, "").toLowerCase()))
    .join(" ");
}

/** "Family, Given[, Suffix]" */
function parseInverted(text: string): ParsedName {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p.length > 0);
  let familyTokens = (parts[0] ?? "").split(" ");
  let suffix: string | undefined;
  const givenTokens: string[] = [];
  for (const part of parts.slice(1)) {
    const asSuffix = SUFFIXES.get(part.replace(/\./g, "").toLowerCase());
    if (asSuffix) suffix = asSuffix;
    else givenTokens.push(...part.split(" "));
  }
  // "Smith Jr., John"
  const lastFamily = familyTokens.at(-1);
  const trailingSuffix = lastFamily ? SUFFIXES.get(lastFamily.replace(/\./g, "").toLowerCase()) : undefined;
  if (trailingSuffix && familyTokens.length > 1) {
    suffix = trailingSuffix;
    familyTokens = familyTokens.slice(0, -1);
  }
  // Dutch/German sorting form "Berg, Jan van der": trailing particles belong to the family name.
  while (givenTokens.length > 1 && isParticle(givenTokens.at(-1)!)) familyTokens = [givenTokens.pop()!, ...familyTokens];
  return build(givenTokens.flatMap(givenParts), familyTokens, suffix);
}

/** "Given Family", "Family INITIALS", "G. Family" */
function parseDirect(text: string): ParsedName {
  let tokens = text.split(" ");
  let suffix: string | undefined;
  const lastSuffix = SUFFIXES.get(tokens.at(-1)!.replace(/\./g, "").toLowerCase());
  if (lastSuffix && tokens.length > 2) {
    suffix = lastSuffix;
    tokens = tokens.slice(0, -1);
  }
  if (tokens.length === 1) return build([], tokens, suffix);

  // Citation style "Smith JA" / "van der Berg J" / "KNUTH DE": a run of
  // initials at the end, after a first token that is not itself an initial.
  // ("DE" here is initials, not the particle: a particle never ends a name.)
  let initialsStart = tokens.length;
  while (initialsStart > 1 && isInitialToken(tokens[initialsStart - 1]!)) initialsStart--;
  if (initialsStart < tokens.length && !isInitialToken(tokens[0]!)) {
    const given = tokens.slice(initialsStart).flatMap(initialParts);
    return build(given, tokens.slice(0, initialsStart), suffix);
  }

  // "Given [Middle] [particles] Family": the family name is the last token plus
  // any particles right before it (but never the first token).
  let familyStart = tokens.length - 1;
  while (familyStart > 1 && isParticle(tokens[familyStart - 1]!)) familyStart--;
  return build(tokens.slice(0, familyStart).flatMap(givenParts), tokens.slice(familyStart), suffix);
}

function build(given: string[], familyTokens: string[], suffix: string | undefined): ParsedName {
  const family = displayFamily(familyTokens);
  const parsed: ParsedName = { given, family, initials: given.map(initialsOf).join("") };
  if (suffix) parsed.suffix = suffix;
  return parsed;
}

/** A family-name particle: lowercase ("van"), or capitalised but longer than one letter ("Van", "De"). */
function isParticle(token: string): boolean {
  return PARTICLES.has(token.toLowerCase()) && (token === token.toLowerCase() || token.length > 1);
}

/** "J.", "J.A.", "J.-P.", "j." — letters each followed by a dot. */
function isDottedInitials(token: string): boolean {
  return /^(\p{L}\.-?)+$/u.test(token);
}

/** An initial in given position: dotted, a single letter, or 2–3 capitals ("DE"). */
function isInitialToken(token: string): boolean {
  return isDottedInitials(token) || /^\p{Lu}(-?\p{Lu}){0,2}$/u.test(token);
}


/** Splits an initials token into one display part per given name: "J.A." -> ["J.", "A."], "J.-P." -> ["J.-P."]. */
function initialParts(token: string): string[] {
  const dotted = isDottedInitials(token);
  const parts: string[] = [];
  for (const match of token.matchAll(/\p{L}\.?(?:-\p{L}\.?)*/gu)) {
    const letters = [...match[0].replace(/\./g, "")].filter((c) => c !== "-");
    // Undotted "JA" means two given names; "J-P" one hyphenated name.
    if (!dotted && !match[0].includes("-")) parts.push(...letters.map((l) => `${l.toUpperCase()}.`));
    else parts.push(`${letters.map((l) => l.toUpperCase()).join(".-")}.`);
  }
  return parts;
}

function givenParts(token: string): string[] {
  if (isInitialToken(token)) return initialParts(token);
  return [displayWord(token)];
}

/** True for a display part that is an initial ("J.", "J.-P."), false for a spelled-out name. */
function isInitialPart(part: string): boolean {
  return /^\p{Lu}\.(?:-\p{Lu}\.)*$/u.test(part);
}

/** "Jean-Paul" -> "JP", "J.-P." -> "JP", "Donald" -> "D". */
function initialsOf(part: string): string {
  return part
    .split("-")
    .map((segment) => [...segment.replace(/\./g, "")][0]?.toUpperCase() ?? "")
    .join("");
}

/** All-caps words ("KNUTH", "SKŁODOWSKA-CURIE") are shown in title case; mixed case is kept. */
function displayWord(word: string): string {
  const letters = word.replace(/[^\p{L}]/gu, "");
  if (letters.length < 2 || letters !== letters.toUpperCase()) return word;
  return word.toLowerCase().replace(/(^|[-'’])(\p{L})/gu, (_, sep: string, ch: string) => sep + ch.toUpperCase());
}

function displayFamily(tokens: string[]): string {
  return tokens
    .map((t, i) => (i < tokens.length - 1 && isParticle(t) && t === t.toUpperCase() ? t.toLowerCase() : displayWord(t)))
    .join(" ");
}

// ---------------------------------------------------------------- keys and comparison

function familyKey(family: string): string {
  return foldAccents(family)
    .toLowerCase()
    .replace(/['’`.]/g, "")
    .replace(/\s*-\s*/g, "-")
    .replace(/\s+/g, " ")
    .trim();
}

function foldedName(part: string): string {
  return foldAccents(part).toLowerCase().replace(/['’`]/g, "");
}

/**
 * The blocking key of a name: folded lowercase family name (particles kept)
 * and the first initial, "knuth|d". Names with the same key MAY be the same
 * person; {@link isSamePerson} and {@link clusterAuthors} decide.
 */
export function canonicalKey(name: string | ParsedName): string {
  const parsed = typeof name === "string" ? parseName(name) : name;
  const first = parsed.initials[0];
  const initial = first ? foldAccents(first).toLowerCase() : "";
  return initial ? `${familyKey(parsed.family)}|${initial}` : familyKey(parsed.family);
}

/**
 * Whether two parsed names can name the same person: same family key, no
 * conflicting suffix, and given names that agree position by position (a
 * missing middle name is no conflict). A single-letter initial matches any
 * name with that first letter; a hyphenated initial ("J.-P.") needs the same
 * hyphenated shape ("Jean-Paul"); two spelled-out names must be equal once
 * accents and case are folded.
 */
function compatible(a: ParsedName, b: ParsedName): boolean {
  if (a.family.length === 0 || b.family.length === 0) return false;
  if (familyKey(a.family) !== familyKey(b.family)) return false;
  if (a.suffix && b.suffix && a.suffix !== b.suffix) return false;
  const n = Math.min(a.given.length, b.given.length);
  for (let i = 0; i < n; i++) {
    if (!givenPartsAgree(a.given[i]!, b.given[i]!)) return false;
  }
  return true;
}

function givenPartsAgree(a: string, b: string): boolean {
  const aInitial = isInitialPart(a);
  const bInitial = isInitialPart(b);
  if (!aInitial && !bInitial) return foldedName(a) === foldedName(b);
  const ia = foldAccents(initialsOf(a));
  const ib = foldAccents(initialsOf(b));
  if (aInitial && ia.length === 1) return ib.startsWith(ia);
  if (bInitial && ib.length === 1) return ia.startsWith(ib);
  return ia === ib;
}

/**
 * Whether two strings can name the same person, judged on the pair alone:
 * "J. Smith" and "John Smith" can. Whether they DO, when "Jane Smith" is
 * also around, is decided by {@link clusterAuthors}.
 */
export function isSamePerson(a: string, b: string): boolean {
  return compatible(parseName(a), parseName(b));
}

/** Display form "Given Family Suffix". */
export function formatName(name: ParsedName): string {
  return [...name.given, name.family, ...(name.suffix ? [name.suffix] : [])].filter((s) => s.length > 0).join(" ");
}

// ---------------------------------------------------------------- clustering

interface Variant {
  parsed: ParsedName;
  raws: string[];
  firstSeen: number;
}

/**
 * Groups author strings that name the same person.
 *
 * Within one family name, variants are considered from the most to the least
 * informative (spelled-out first name, then more given names). Each joins the
 * one group all of whose members it is compatible with; with no such group it
 * starts one; with two or more it is ambiguous and forms its own group rather
 * than guess. Spelled-out names come first, so "J. Smith" is judged against
 * every full "J... Smith" in the input, whatever the input order.
 */
export function clusterAuthors(names: readonly string[]): AuthorCluster[] {
  const variants = new Map<string, Variant>();
  const firstIndex = new Map<string, number>();
  names.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (!firstIndex.has(trimmed)) firstIndex.set(trimmed, index);
    const parsed = parseName(trimmed);
    if (parsed.family.length === 0) return;
    const signature = nameIdentity(parsed);
    const existing = variants.get(signature);
    if (existing) {
      if (!existing.raws.includes(trimmed)) existing.raws.push(trimmed);
    } else {
      variants.set(signature, { parsed, raws: [trimmed], firstSeen: index });
    }
  });

  const byFamily = new Map<string, Variant[]>();
  for (const v of variants.values()) {
    const key = familyKey(v.parsed.family);
    byFamily.set(key, [...(byFamily.get(key) ?? []), v]);
  }

  const groups: Variant[][] = [];
  for (const family of byFamily.values()) {
    const familyGroups: Variant[][] = [];
    for (const variant of [...family].sort(byInformativeness)) {
      const fits = familyGroups.filter((g) => g.every((member) => compatible(member.parsed, variant.parsed)));
      if (fits.length === 1) fits[0]!.push(variant);
      else familyGroups.push([variant]);
    }
    groups.push(...familyGroups);
  }

  return groups
    .map((group) => ({ group, firstSeen: Math.min(...group.map((v) => v.firstSeen)) }))
    .sort((a, b) => a.firstSeen - b.firstSeen)
    .map(({ group }) => {
      const canonical = mergeVariants(group.map((v) => v.parsed));
      const variantStrings = group
        .flatMap((v) => v.raws.map((raw) => ({ raw, at: firstIndex.get(raw)! })))
        .sort((a, b) => a.at - b.at)
        .map((x) => x.raw);
      return {
        canonical: formatName(canonical),
        key: canonicalKey(canonical),
        identity: nameIdentity(canonical),
        variants: [...new Set(variantStrings)],
      };
    });
}

/** Folded family and given names (+ suffix): equal for "J. Smith", "SMITH J" and "Smith, J.". */
function nameIdentity(p: ParsedName): string {
  const given = p.given.map((g) => (isInitialPart(g) ? `${foldAccents(initialsOf(g)).toLowerCase()}.` : foldedName(g))).join(" ");
  const suffix = p.suffix ? `|${p.suffix.toLowerCase()}` : "";
  return `${familyKey(p.family)}|${given}${suffix}`;
}

function fullGivenCount(p: ParsedName): number {
  return p.given.filter((g) => !isInitialPart(g)).length;
}

function byInformativeness(a: Variant, b: Variant): number {
  const aFirstFull = a.parsed.given[0] !== undefined && !isInitialPart(a.parsed.given[0]) ? 1 : 0;
  const bFirstFull = b.parsed.given[0] !== undefined && !isInitialPart(b.parsed.given[0]) ? 1 : 0;
  return (
    bFirstFull - aFirstFull ||
    fullGivenCount(b.parsed) - fullGivenCount(a.parsed) ||
    b.parsed.given.length - a.parsed.given.length ||
    a.firstSeen - b.firstSeen
  );
}

/**
 * The fullest name a group supports: at each given-name position the spelled-
 * out form if any variant has one, and the family name with its diacritics if
 * any variant kept them ("Erdős" over "Erdos").
 */
function mergeVariants(members: ParsedName[]): ParsedName {
  const ordered = [...members].sort((a, b) => fullGivenCount(b) - fullGivenCount(a) || b.given.length - a.given.length);
  const length = Math.max(...members.map((m) => m.given.length));
  const given: string[] = [];
  for (let i = 0; i < length; i++) {
    const options = ordered.map((m) => m.given[i]).filter((g): g is string => g !== undefined);
    given.push(options.find((g) => !isInitialPart(g)) ?? options[0]!);
  }
  const family = [...ordered]
    .map((m) => m.family)
    .sort((a, b) => nonAsciiLetters(b) - nonAsciiLetters(a))[0]!;
  const suffix = ordered.find((m) => m.suffix)?.suffix;
  const merged: ParsedName = { given, family, initials: given.map(initialsOf).join("") };
  if (suffix) merged.suffix = suffix;
  return merged;
}

function nonAsciiLetters(text: string): number {
  return [...text].filter((c) => c.charCodeAt(0) > 127).length;
}
