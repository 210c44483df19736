import { ENGLISH_STOPWORDS, tokenize } from "./text";

/**
 * The quality score of a resource: six named dimensions in 0..1, combined by
 * the weights in {@link QUALITY_WEIGHTS}. Every formula, and why it is shaped
 * the way it is, is written down in docs/quality.md; change both together and
 * bump {@link QUALITY_VERSION}, because stored scores are only comparable
 * within one version (the degradation job compares runs).
 */
export const QUALITY_VERSION = "quality-v1";

export const QUALITY_DIMENSIONS = [
  "metadataCompleteness",
  "contentDepth",
  "readability",
  "structure",
  "citationRichness",
  "provenance",
] as const;
export type QualityDimension = (typeof QUALITY_DIMENSIONS)[number];

/** The one table of weights; they sum to 1 so the score stays in 0..1. */
export const QUALITY_WEIGHTS: Readonly<Record<QualityDimension, number>> = {
  metadataCompleteness: 0.2,
  contentDepth: 0.2,
  readability: 0.15,
  structure: 0.15,
  citationRichness: 0.15,
  provenance: 0.15,
};

export interface QualityInput {
  title: string | null;
  description: string | null;
  authors: string[];
  text: string;
  language: string | null;
  citationCount: number;
  source: string | null;
  url: string | null;
  contentType: string;
}

export interface QualityResult {
  score: number;
  dimensions: Record<QualityDimension, number>;
  version: string;
}

export function computeQuality(input: QualityInput): QualityResult {
  const prose = proseOf(input.text);
  const stats = analyseProse(prose);
  const dimensions: Record<QualityDimension, number> = {
    metadataCompleteness: round(metadataCompleteness(input)),
    contentDepth: round(contentDepth(stats.words)),
    readability: round(readability(stats, isEnglish(input.language, prose))),
    structure: round(structure(input.text, stats.words)),
    citationRichness: round(citationRichness(input.citationCount, stats.words)),
    provenance: round(provenance(input)),
  };
  let score = 0;
  for (const d of QUALITY_DIMENSIONS) score += QUALITY_WEIGHTS[d] * dimensions[d];
  return { score: round(score), dimensions, version: QUALITY_VERSION };
}

// ---------------------------------------------------------------- dimensions

/** Title, description, authors and language: what a catalogue record needs. */
export function metadataCompleteness(input: Pick<QualityInput, "title" | "description" | "authors" | "language">): number {
  const title = input.title?.trim() ?? "";
  // A file name or URL as title is what extraction falls back to: half credit.
  const titleScore = title.length < 3 ? 0 : /^\S+\.\w{2,5}$|^https?:\/\//i.test(title) ? 0.5 : 1;
  const description = input.description?.trim() ?? "";
  const descriptionScore = Math.min(1, description.length / 80);
  const authorScore = input.authors.some((a) => a.trim().length > 0) ? 1 : 0;
  const languageScore = input.language?.trim() ? 1 : 0;
  return 0.35 * titleScore + 0.25 * descriptionScore + 0.3 * authorScore + 0.1 * languageScore;
}

/** Target length at which depth saturates, and the length below which a text is a stub. */
const DEPTH_TARGET_WORDS = 1500;
const DEPTH_STUB_WORDS = 100;

/** Log-scaled length: each doubling adds less; stubs are penalised linearly. */
export function contentDepth(words: number): number {
  if (words <= 0) return 0;
  const logScaled = Math.min(1, Math.log1p(words) / Math.log1p(DEPTH_TARGET_WORDS));
  return logScaled * Math.min(1, words / DEPTH_STUB_WORDS);
}

/** Below this many words, readability and structure cannot be judged: scale them down. */
const EVIDENCE_WORDS = 100;

export function readability(stats: ProseStats, english: boolean): number {
  if (stats.words === 0 || stats.sentences === 0) return 0;
  const wordsPerSentence = stats.words / stats.sentences;
  const lettersPerWord = stats.letters / stats.words;
  const sentenceBand = plateau(wordsPerSentence, 3, 8, 25, 60);
  const wordBand = plateau(lettersPerWord, 2.5, 3.5, 6.5, 10);
  let score: number;
  if (english) {
    const flesch = 206.835 - 1.015 * wordsPerSentence - 84.6 * (stats.syllables / stats.words);
    // Scholarly prose scores 10–30 on Flesch; only the extremes are penalised.
    score = 0.5 * plateau(flesch, -20, 20, 90, 130) + 0.25 * sentenceBand + 0.25 * wordBand;
  } else {
    score = 0.5 * sentenceBand + 0.5 * wordBand;
  }
  return score * evidence(stats.words);
}

/** Paragraphing (words per paragraph) and headings (one per ~500 words for long texts). */
export function structure(text: string, words: number): number {
  if (words === 0) return 0;
  const { headings, paragraphWords } = outline(text);
  const avgParagraph = paragraphWords.length ? paragraphWords.reduce((s, n) => s + n, 0) / paragraphWords.length : words;
  const paragraphing = plateau(avgParagraph, 0, 15, 200, 800);
  let headingScore = 1;
  if (words >= 400) {
    headingScore = Math.min(1, headings / (words / 500));
    // More than one heading per 25 words is an outline, not a text.
    if (headings > words / 25) headingScore *= 0.5;
  }
  return (0.6 * paragraphing + 0.4 * headingScore) * evidence(words);
}

/**
 * Citations per 1,000 words AND in absolute number, both saturating; their
 * product, so a 20-word stub with one link does not look "richly cited" and a
 * long text needs a proportionate number of references.
 */
export function citationRichness(citationCount: number, words: number): number {
  const n = Math.max(0, Number.isFinite(citationCount) ? citationCount : 0);
  if (n === 0) return 0;
  const perThousand = (n / Math.max(words, EVIDENCE_WORDS)) * 1000;
  const rateScore = 1 - Math.exp(-perThousand / 4);
  const countScore = 1 - Math.exp(-n / 3);
  return rateScore * countScore;
}

const PERSISTENT_ID = /\b10\.\d{4,9}\/\S+|\barxiv[:.]\s*\d{4}\.\d{4,5}|arxiv\.org\/abs\//i;

/** Can a reader trace where this came from? URL, TLS, a named source, a DOI/arXiv id. */
export function provenance(input: Pick<QualityInput, "url" | "source" | "text">): number {
  const url = input.url?.trim() ?? "";
  let score = 0;
  if (/^https?:\/\//i.test(url)) score += 0.35;
  else if (url.length > 0) score += 0.15; // file:// and the like: traceable only on one machine
  if (/^https:\/\//i.test(url)) score += 0.15;
  if (input.source?.trim()) score += 0.25;
  if (PERSISTENT_ID.test(url) || PERSISTENT_ID.test(input.text.slice(0, 200_000))) score += 0.25;
  return Math.min(1, score);
}

// ---------------------------------------------------------------- text analysis

export interface ProseStats {
  words: number;
  sentences: number;
  letters: number;
  syllables: number;
}

/**
 * Text for linguistic measures: fenced code, inline code and URLs removed,
 * since a README's code samples would otherwise read as absurd "sentences".
 */
export function proseOf(text: string): string {
  return text
    .replace(FENCED_CODE, " ")
    .replace(/`[^`\n]*`/g, " ")
    .replace(/\bhttps?:\/\/\S+/gi, " ")
    .replace(/<[^>\n]+>/g, " ");
}

export function analyseProse(prose: string): ProseStats {
  const tokens = tokenize(prose).filter((t) => /\p{L}/u.test(t));
  let letters = 0;
  let syllables = 0;
  for (const t of tokens) {
    letters += [...t].length;
    syllables += englishSyllables(t);
  }
  // Sentence ends: terminal punctuation, or a line break (headings, list items
  // and table rows are segments of their own even without a full stop).
  const sentences = prose.split(/[.!?]+(?=\s|$)|\n/).filter((s) => /\p{L}/u.test(s)).length;
  return { words: tokens.length, sentences, letters, syllables };
}

/** Vowel-group count with the silent final "e" rule; at least one per word. */
export function englishSyllables(word: string): number {
  const w = word.toLowerCase().replace(/[^a-z]/g, "");
  if (w.length === 0) return 1;
  let count = w.match(/[aeiouy]+/g)?.length ?? 0;
  if (w.length > 2 && w.endsWith("e") && !w.endsWith("le") && !/[aeiouy]e$/.test(w)) count--;
  return Math.max(1, count);
}

/** English when declared so, or, when undeclared, when a fifth of the words are English function words. */
function isEnglish(language: string | null, prose: string): boolean {
  if (language) return /^en\b/i.test(language);
  const tokens = tokenize(prose.slice(0, 20_000));
  if (tokens.length === 0) return false;
  return tokens.filter((t) => ENGLISH_STOPWORDS.has(t)).length / tokens.length >= 0.2;
}

const FENCED_CODE = /^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm;
const MARKDOWN_HEADING = /^#{1,6}\s+\S/;
const SETEXT_UNDERLINE = /^[=-]{3,}\s*$/;

/**
 * Headings and the word count of each paragraph (blank-line separated block,
 * code excluded). Markdown headings ("# x", "x\n===") are counted as such;
 * extracted HTML/PDF text has no markup, so a block that is a single short
 * line without closing punctuation counts as a heading too.
 */
export function outline(text: string): { headings: number; paragraphWords: number[] } {
  let headings = 0;
  const paragraphWords: number[] = [];
  const blocks = text.replace(FENCED_CODE, "\n\n").split(/\n[ \t]*\n/);
  for (const block of blocks) {
    const lines = block.split("\n").filter((l) => l.trim().length > 0 && !/^( {4}|\t)/.test(l));
    if (lines.length === 0) continue;
    const only = lines[0]!.trim();
    if (lines.length === 1 && !MARKDOWN_HEADING.test(only) && isLoneHeadingLine(only)) {
      headings++;
      continue;
    }
    const body: string[] = [];
    lines.forEach((line, i) => {
      if (MARKDOWN_HEADING.test(line)) headings++;
      else if (SETEXT_UNDERLINE.test(line) && i > 0) headings++;
      else if (!(i + 1 < lines.length && SETEXT_UNDERLINE.test(lines[i + 1]!))) body.push(line);
    });
    const n = tokenize(body.join(" ")).length;
    if (n > 0) paragraphWords.push(n);
  }
  return { headings, paragraphWords };
}

function isLoneHeadingLine(line: string): boolean {
  const n = tokenize(line).length;
  const listItem = /^([-*+>|]|\d+[.)])\s/.test(line);
  return !listItem && n > 0 && n <= 8 && /\p{L}/u.test(line) && !/[.:;,!?]$/.test(line);
}

// ---------------------------------------------------------------- helpers

/**
 * 0 below `zeroLow`, rising linearly to 1 at `oneLow`, 1 up to `oneHigh`,
 * falling linearly to 0 at `zeroHigh`: "good within a band" shapes.
 */
export function plateau(x: number, zeroLow: number, oneLow: number, oneHigh: number, zeroHigh: number): number {
  if (!Number.isFinite(x)) return 0;
  if (x <= zeroLow || x >= zeroHigh) return 0;
  if (x < oneLow) return (x - zeroLow) / (oneLow - zeroLow);
  if (x > oneHigh) return (zeroHigh - x) / (zeroHigh - oneHigh);
  return 1;
}

function evidence(words: number): number {
  return Math.min(1, words / EVIDENCE_WORDS);
}

function round(x: number): number {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(x) ? x : 0));
  return Math.round(clamped * 10_000) / 10_000;
}
