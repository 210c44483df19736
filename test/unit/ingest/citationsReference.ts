/**
 * The plain, obviously-correct (and quadratic) way to extract citations: the
 * property test checks the linear-time extractor against it on small texts.
 * Kept deliberately naive — do not optimise it.
 */
import { citationKeysForUrl, normaliseArxivId, type Citation } from "@shared/ingest/citations";

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`{}|\\^[\]]+/gi;
const DOI_PATTERN = /(?:\bdoi:\s*)?\b(10\.\d{4,9}\/[^\s"'<>]+)/gi;
const ARXIV_PATTERN =
  /\barxiv\s*:?\s*(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)?(?:\.[a-z]{2})?\/\d{7})(v\d+)?\b/gi;

export function referenceExtractCitations(text: string, links: string[] = []): Citation[] {
  const found: Array<{ at: number; citation: Citation }> = [];
  let masked = text;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = referenceTrim(match[0]);
    const citation = referenceCitationFromUrl(raw);
    if (citation) found.push({ at: match.index, citation });
    masked = masked.slice(0, match.index) + " ".repeat(match[0].length) + masked.slice(match.index + match[0].length);
  }
  for (const match of masked.matchAll(DOI_PATTERN)) {
    const doi = referenceTrim(match[1] ?? "");
    if (/^10\.\d{4,9}\/\S+$/.test(doi)) {
      const raw = match[0].slice(0, match[0].length - (match[1] ?? "").length) + doi;
      found.push({ at: match.index, citation: { kind: "doi", value: doi.toLowerCase(), raw } });
    }
  }
  for (const match of masked.matchAll(ARXIV_PATTERN)) {
    found.push({ at: match.index, citation: { kind: "arxiv", value: normaliseArxivId(match[1] ?? ""), raw: match[0] } });
  }
  found.sort((a, b) => a.at - b.at);
  const fromLinks = links
    .map((link) => referenceCitationFromUrl(referenceTrim(link.trim())))
    .filter((citation): citation is Citation => citation !== null);
  const seen = new Set<string>();
  return [...found.map((entry) => entry.citation), ...fromLinks].filter((citation) => {
    const key = `${citation.kind}:${citation.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function referenceTrim(candidate: string): string {
  let value = candidate;
  for (;;) {
    const last = value.slice(-1);
    if (/[.,;:!?'"*_~…»”’]/.test(last)) {
      value = value.slice(0, -1);
      continue;
    }
    const opener = { ")": "(", "]": "[", "}": "{" }[last];
    if (opener && value.split(opener).length < value.split(last).length) {
      value = value.slice(0, -1);
      continue;
    }
    return value;
  }
}

function referenceCitationFromUrl(raw: string): Citation | null {
  const keys = citationKeysForUrl(raw);
  const key = keys[1] ?? keys[0];
  return key ? { ...key, raw } : null;
}
