/**
 * Splits a document's text into passages: the units search ranks, embeds and
 * shows as snippets (docs/search.md). One vector per whole page blurs a long
 * page into the average of its topics; a passage is about one thing.
 *
 * Extracted text has blocks separated by blank lines (see ingest/htmlText.ts).
 * A block that looks like a heading (short, no closing punctuation, or a
 * numbered "5.4.1. Check Constraints", or a Markdown "## Title") starts a new
 * section; a section's blocks are packed into passages of at most
 * {@link PASSAGE_WORDS} words, and a block longer than that is cut at sentence
 * ends. Every passage carries the heading of its section.
 *
 * Pure and deterministic: the same text always gives the same passages, so a
 * revision's passages can be recomputed and compared.
 */

export interface Passage {
  /** Position in the document, from 0. */
  ordinal: number;
  /** The heading of the section the passage belongs to ("" before the first heading). */
  heading: string;
  text: string;
}

/** Target size: long enough to hold one idea with its context, short enough for the encoder's cost (which grows with length). */
export const PASSAGE_WORDS = 120;
/** Passages per document at most; the rest of a very long document is in the last one's FTS text only through the document index. */
export const MAX_PASSAGES = 400;
const HEADING_MAX_CHARS = 100;
const HEADING_MAX_WORDS = 12;

export function splitPassages(text: string): Passage[] {
  const passages: Passage[] = [];
  let heading = "";
  let pending: string[] = [];
  let pendingWords = 0;
  const flush = () => {
    if (pending.length > 0 && passages.length < MAX_PASSAGES) passages.push({ ordinal: passages.length, heading, text: pending.join("\n\n") });
    pending = [];
    pendingWords = 0;
  };
  const blocks = text
    .split(/\n\s*\n/)
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  for (const [i, block] of blocks.entries()) {
    if (i < blocks.length - 1 && isHeading(block)) {
      flush();
      heading = block.replace(/^#{1,6}\s+/, "");
      continue;
    }
    for (const piece of pieces(block)) {
      const words = wordCount(piece);
      if (pendingWords > 0 && pendingWords + words > PASSAGE_WORDS) flush();
      pending.push(piece);
      pendingWords += words;
    }
  }
  flush();
  // A document that is only headings (or one line) still has its text somewhere.
  if (passages.length === 0 && text.trim()) passages.push({ ordinal: 0, heading: "", text: text.trim() });
  return passages;
}

/**
 * A title or heading as the encoder should read it: without its section
 * number ("5.4.1. Check Constraints", "Chapter 5. Data Definition", "F.4.
 * auto_explain"), which says nothing about the meaning and dilutes short text.
 */
export function headingForMeaning(heading: string): string {
  return heading
    .replace(/^(?:chapter|appendix|part)\s+[\dA-Z]+\.?\s+/i, "")
    .replace(/^(?:[A-Z]\.)?(?:\d+\.)*\d+\.?\s+/, "")
    .replace(/^[A-Z]\.\s+/, "")
    .trim();
}

export function isHeading(block: string): boolean {
  if (block.includes("\n")) return false;
  if (/^#{1,6}\s+\S/.test(block)) return true;
  if (block.length > HEADING_MAX_CHARS || wordCount(block) > HEADING_MAX_WORDS) return false;
  if (/^(\d+\.)+\d*\.?\s+\p{L}/u.test(block)) return true; // "5.4.1. Check Constraints"
  return /^\p{Lu}/u.test(block) && !/[.,;:!?)\]}"'’”]$/u.test(block);
}

/** A block cut at sentence ends into pieces of at most PASSAGE_WORDS words (a single longer sentence stays whole). */
function pieces(block: string): string[] {
  if (wordCount(block) <= PASSAGE_WORDS) return [block];
  const sentences = block.match(/[^.!?]+(?:[.!?]+(?=\s|$)|$)\s*|[^\s]+\s*/g) ?? [block];
  const out: string[] = [];
  let current = "";
  for (const sentence of sentences) {
    if (current && wordCount(current) + wordCount(sentence) > PASSAGE_WORDS) {
      out.push(current.trim());
      current = "";
    }
    current += sentence;
  }
  if (current.trim()) out.push(current.trim());
  return out;
}

function wordCount(text: string): number {
  let n = 0;
  for (const _ of text.matchAll(/\S+/g)) n++;
  return n;
}

/** A text the embedder reads for a document: its title (ordinal -1) or one passage. */
export interface MeaningText {
  ordinal: number;
  text: string;
}

/** Ordinal of the title's vector among a document's vectors. */
export const TITLE_ORDINAL = -1;

/**
 * What is embedded for a document: its title, and each passage read with its
 * heading in front (the encoder cuts it to its first tokens; docs/search.md
 * has the measurements behind this choice).
 */
export function textsForMeaning(title: string | null, passages: readonly Passage[]): MeaningText[] {
  const out: MeaningText[] = [];
  const cleanTitle = headingForMeaning(title ?? "");
  if (cleanTitle) out.push({ ordinal: TITLE_ORDINAL, text: cleanTitle });
  for (const p of passages) {
    const heading = headingForMeaning(p.heading);
    out.push({ ordinal: p.ordinal, text: heading ? `${heading}. ${p.text}` : p.text });
  }
  return out;
}
