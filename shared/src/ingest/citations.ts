/**
 * Find what a text cites: web URLs, DOIs and arXiv identifiers, each reduced
 * to a normal form so that the same work cited two ways is one citation, and
 * so that a citation can be matched to a resource ingested later (see
 * {@link citationKeysForUrl}).
 *
 * Normal forms:
 * - doi:   lowercased, no "doi:" / "https://doi.org/" prefix ("10.1000/xyz123")
 * - arxiv: no version; old-style ids without the subject class
 *          ("2101.00001", "hep-th/9901001", "math.GT/0309136" → "math/0309136")
 * - url:   http(s) only, lowercase host, no fragment, no trailing punctuation,
 *          no tracking parameters (utm_*, fbclid, gclid ...)
 */

export type CitationKind = "url" | "doi" | "arxiv";

export interface Citation {
  kind: CitationKind;
  value: string;
  /** The text as found (first occurrence, after trimming surrounding punctuation). */
  raw: string;
}

export interface CitationKey {
  kind: CitationKind;
  value: string;
}

// Characters that can never be part of a URL written in prose.
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`{}|\\^[\]]+/gi;
const DOI_PATTERN = /(?:\bdoi:\s*)?\b(10\.\d{4,9}\/[^\s"'<>]+)/gi;
const NEW_ARXIV_ID = String.raw`\d{4}\.\d{4,5}`;
const OLD_ARXIV_ID = String.raw`[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2})?\/\d{7}`;
// "\s*(?::\s*)?" reads what "\s*:?\s*" reads without the two white-space runs
// competing for the same spaces, which backtracked quadratically on "arxiv" + a long blank run.
const ARXIV_PATTERN = new RegExp(String.raw`\barxiv\s*(?::\s*)?(${NEW_ARXIV_ID}|${OLD_ARXIV_ID})(v\d+)?\b`, "gi");
const ARXIV_PATH = new RegExp(String.raw`^\/(?:abs|pdf|html)\/(${NEW_ARXIV_ID}|${OLD_ARXIV_ID})(?:v\d+)?(?:\.pdf)?\/?$`, "i");
const TRACKING_PARAMETER = /^(?:utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|yclid)$/i;
/**
 * A document keeps its first this-many distinct citations: each one becomes a
 * stored row and a graph edge, and a page of a million links cites nothing useful.
 */
export const MAX_CITATIONS_PER_DOCUMENT = 1000;
const DOI_HOSTS = new Set(["doi.org", "dx.doi.org", "www.doi.org"]);
const ARXIV_HOSTS = new Set(["arxiv.org", "www.arxiv.org", "export.arxiv.org"]);

/**
 * Citations in `text`, plus those in `links` (hrefs collected from markup),
 * deduplicated by kind and value, in order of first appearance.
 */
export function extractCitations(text: string, links: string[] = []): Citation[] {
  // Each distinct citation once, at its first position: repeats are dropped
  // as they are found, so memory follows distinct citations, not matches.
  const firstSeen = new Map<string, { at: number; citation: Citation }>();
  const note = (at: number, citation: Citation): void => {
    const key = citationKeyString(citation);
    const seen = firstSeen.get(key);
    if (!seen || at < seen.at) firstSeen.set(key, { at, citation });
  };
  // URLs are blanked out so their paths are not read again as bare DOIs or
  // ids; the masked text is assembled once (linear), not rebuilt per URL.
  const unmasked: string[] = [];
  let copiedUpTo = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const citation = citationFromUrl(trimTrailingPunctuation(match[0]));
    if (citation) note(match.index, citation);
    unmasked.push(text.slice(copiedUpTo, match.index), " ".repeat(match[0].length));
    copiedUpTo = match.index + match[0].length;
  }
  unmasked.push(text.slice(copiedUpTo));
  const masked = unmasked.join("");
  for (const match of masked.matchAll(DOI_PATTERN)) {
    const doi = trimTrailingPunctuation(match[1] ?? "");
    if (isPlausibleDoi(doi)) {
      const raw = match[0].slice(0, match[0].length - (match[1] ?? "").length) + doi;
      note(match.index, { kind: "doi", value: doi.toLowerCase(), raw });
    }
  }
  for (const match of masked.matchAll(ARXIV_PATTERN)) {
    note(match.index, { kind: "arxiv", value: normaliseArxivId(match[1] ?? ""), raw: match[0] });
  }

  const inText = [...firstSeen.values()].sort((a, b) => a.at - b.at).map((entry) => entry.citation);
  const fromLinks = links
    .map((link) => citationFromUrl(trimTrailingPunctuation(link.trim())))
    .filter((citation): citation is Citation => citation !== null);
  return dedupe([...inText, ...fromLinks]).slice(0, MAX_CITATIONS_PER_DOCUMENT);
}

/**
 * The keys a resource fetched from `url` is known by: its normalised URL, plus
 * its DOI for doi.org URLs and its arXiv id for arxiv.org URLs. Call it with
 * both the requested and the final (post-redirect) URL to catch both forms.
 */
export function citationKeysForUrl(url: string): CitationKey[] {
  const normalised = parseNormalisedUrl(url);
  if (!normalised) return [];
  const keys: CitationKey[] = [{ kind: "url", value: normalised.href }];
  const identifier = identifierInUrl(normalised);
  if (identifier) keys.push(identifier);
  return keys;
}

/** "kind:value", a convenient single-column form of a key. */
export function citationKeyString(key: CitationKey): string {
  return `${key.kind}:${key.value}`;
}

/** Normalise an http(s) URL (see module doc); null when it is not one. */
export function normaliseUrl(raw: string): string | null {
  return parseNormalisedUrl(raw)?.href ?? null;
}

function parseNormalisedUrl(raw: string): URL | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  url.hostname = url.hostname.replace(/\.$/, "");
  if (url.search === "") return url;
  const tracking = [...url.searchParams.keys()].filter((name) => TRACKING_PARAMETER.test(name));
  // Only rewrite the query when something is removed: URLSearchParams
  // re-encodes the rest, which would change otherwise untouched URLs.
  if (tracking.length > 0) {
    for (const name of tracking) url.searchParams.delete(name);
    if ([...url.searchParams.keys()].length === 0) url.search = "";
  }
  return url;
}

/** Old-style ids lose their subject class; versions are dropped by the callers' patterns. */
export function normaliseArxivId(id: string): string {
  const oldStyle = /^([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?\/(\d{7})$/i.exec(id);
  return oldStyle ? `${oldStyle[1]?.toLowerCase()}/${oldStyle[2]}` : id;
}

function citationFromUrl(raw: string): Citation | null {
  const url = parseNormalisedUrl(raw);
  if (!url) return null;
  const identifier = identifierInUrl(url);
  return identifier ? { ...identifier, raw } : { kind: "url", value: url.href, raw };
}

function identifierInUrl(url: URL): CitationKey | null {
  if (DOI_HOSTS.has(url.hostname)) {
    const doi = trimTrailingPunctuation(safeDecode(url.pathname.slice(1)));
    if (isPlausibleDoi(doi)) return { kind: "doi", value: doi.toLowerCase() };
  }
  if (ARXIV_HOSTS.has(url.hostname)) {
    const id = ARXIV_PATH.exec(url.pathname)?.[1];
    if (id) return { kind: "arxiv", value: normaliseArxivId(id) };
  }
  return null;
}

function isPlausibleDoi(doi: string): boolean {
  return /^10\.\d{4,9}\/\S+$/.test(doi);
}

/**
 * Strip what prose puts after a URL or DOI: sentence punctuation, quotes, and
 * closing brackets that have no opening partner inside ("(see https://x.org/a)").
 */
export function trimTrailingPunctuation(candidate: string): string {
  // Bracket counts are taken once and updated as characters are dropped:
  // recounting per character was quadratic on a URL followed by ")))...".
  const opened = { ")": count(candidate, "("), "]": count(candidate, "["), "}": count(candidate, "{") };
  const closed = { ")": count(candidate, ")"), "]": count(candidate, "]"), "}": count(candidate, "}") };
  let end = candidate.length;
  while (end > 0) {
    const last = candidate[end - 1] ?? "";
    if (TRAILING_PUNCTUATION.test(last)) {
      end -= 1;
    } else if ((last === ")" || last === "]" || last === "}") && opened[last] < closed[last]) {
      closed[last] -= 1;
      end -= 1;
    } else {
      break;
    }
  }
  return candidate.slice(0, end);
}

const TRAILING_PUNCTUATION = /^[.,;:!?'"*_~…»”’]$/;

function count(text: string, character: string): number {
  let found = 0;
  for (let at = text.indexOf(character); at !== -1; at = text.indexOf(character, at + 1)) found += 1;
  return found;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function dedupe(citations: Citation[]): Citation[] {
  const seen = new Set<string>();
  return citations.filter((citation) => {
    const key = `${citation.kind}:${citation.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
