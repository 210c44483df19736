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
const ARXIV_PATTERN = new RegExp(String.raw`\barxiv\s*:?\s*(${NEW_ARXIV_ID}|${OLD_ARXIV_ID})(v\d+)?\b`, "gi");
const ARXIV_PATH = new RegExp(String.raw`^\/(?:abs|pdf|html)\/(${NEW_ARXIV_ID}|${OLD_ARXIV_ID})(?:v\d+)?(?:\.pdf)?\/?$`, "i");
const TRACKING_PARAMETER = /^(?:utm_.*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|igshid|yclid)$/i;
const DOI_HOSTS = new Set(["doi.org", "dx.doi.org", "www.doi.org"]);
const ARXIV_HOSTS = new Set(["arxiv.org", "www.arxiv.org", "export.arxiv.org"]);

/**
 * Citations in `text`, plus those in `links` (hrefs collected from markup),
 * deduplicated by kind and value, in order of first appearance.
 */
export function extractCitations(text: string, links: string[] = []): Citation[] {
  const found: Array<{ at: number; citation: Citation }> = [];
  let masked = text;

  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = trimTrailingPunctuation(match[0]);
    const citation = citationFromUrl(raw);
    if (citation) found.push({ at: match.index, citation });
    // Blank the URL out so its path is not read again as a bare DOI or id.
    masked = masked.slice(0, match.index) + " ".repeat(match[0].length) + masked.slice(match.index + match[0].length);
  }
  for (const match of masked.matchAll(DOI_PATTERN)) {
    const doi = trimTrailingPunctuation(match[1] ?? "");
    if (isPlausibleDoi(doi)) {
      const raw = match[0].slice(0, match[0].length - (match[1] ?? "").length) + doi;
      found.push({ at: match.index, citation: { kind: "doi", value: doi.toLowerCase(), raw } });
    }
  }
  for (const match of masked.matchAll(ARXIV_PATTERN)) {
    found.push({ at: match.index, citation: { kind: "arxiv", value: normaliseArxivId(match[1] ?? ""), raw: match[0] } });
  }

  found.sort((a, b) => a.at - b.at);
  const fromLinks = links
    .map((link) => citationFromUrl(trimTrailingPunctuation(link.trim())))
    .filter((citation): citation is Citation => citation !== null);
  return dedupe([...found.map((entry) => entry.citation), ...fromLinks]);
}

/**
 * The keys a resource fetched from `url` is known by: its normalised URL, plus
 * its DOI for doi.org URLs and its arXiv id for arxiv.org URLs. Call it with
 * both the requested and the final (post-redirect) URL to catch both forms.
 */
export function citationKeysForUrl(url: string): CitationKey[] {
  const normalised = normaliseUrl(url);
  if (!normalised) return [];
  const keys: CitationKey[] = [{ kind: "url", value: normalised }];
  const identifier = identifierInUrl(new URL(normalised));
  if (identifier) keys.push(identifier);
  return keys;
}

/** "kind:value", a convenient single-column form of a key. */
export function citationKeyString(key: CitationKey): string {
  return `${key.kind}:${key.value}`;
}

/** Normalise an http(s) URL (see module doc); null when it is not one. */
export function normaliseUrl(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.hash = "";
  url.hostname = url.hostname.replace(/\.$/, "");
  const tracking = [...url.searchParams.keys()].filter((name) => TRACKING_PARAMETER.test(name));
  // Only rewrite the query when something is removed: URLSearchParams
  // re-encodes the rest, which would change otherwise untouched URLs.
  if (tracking.length > 0) {
    for (const name of tracking) url.searchParams.delete(name);
    if ([...url.searchParams.keys()].length === 0) url.search = "";
  }
  return url.href;
}

/** Old-style ids lose their subject class; versions are dropped by the callers' patterns. */
export function normaliseArxivId(id: string): string {
  const oldStyle = /^([a-z]+(?:-[a-z]+)?)(?:\.[a-z]{2})?\/(\d{7})$/i.exec(id);
  return oldStyle ? `${oldStyle[1]?.toLowerCase()}/${oldStyle[2]}` : id;
}

function citationFromUrl(raw: string): Citation | null {
  const value = normaliseUrl(raw);
  if (!value) return null;
  const identifier = identifierInUrl(new URL(value));
  return identifier ? { ...identifier, raw } : { kind: "url", value, raw };
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
  let value = candidate;
  for (;;) {
    const last = value.slice(-1);
    if (/[.,;:!?'"*_~…»”’]/.test(last)) {
      value = value.slice(0, -1);
      continue;
    }
    const opener = { ")": "(", "]": "[", "}": "{" }[last];
    if (opener && count(value, opener) < count(value, last)) {
      value = value.slice(0, -1);
      continue;
    }
    return value;
  }
}

function count(text: string, character: string): number {
  return text.split(character).length - 1;
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
