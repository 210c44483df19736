/**
 * The rules of the search evaluation set (bench/search-eval/questions.json),
 * in one place for the command (check.ts) and the unit test:
 *
 * - shape: an array of { id, question, kind, accepted, note? }; ids unique and
 *   of the form q001; kind "easy" or "paraphrase"; accepted a non-empty list of
 *   distinct HTML file names;
 * - counts: at least MIN_QUESTIONS questions, at least half paraphrases;
 * - corpus (only where the manual is installed): every accepted page exists,
 *   and no paraphrase shares a content word (titleWords.ts) with the <title>
 *   of any of its accepted pages.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ManualPages } from "./manualPages";
import { sharedContentWords } from "./titleWords";

export const KINDS = ["easy", "paraphrase"] as const;
export type Kind = (typeof KINDS)[number];

export interface Question {
  id: string;
  question: string;
  kind: Kind;
  /** File names of the manual's pages that answer the question. */
  accepted: string[];
  note?: string;
}

export const MIN_QUESTIONS = 60;
export const MIN_PARAPHRASE_SHARE = 0.5;

export const QUESTIONS_FILE = fileURLToPath(new URL("./questions.json", import.meta.url));

const KEYS = new Set(["id", "question", "kind", "accepted", "note"]);
const PAGE_NAME = /^[a-z0-9][a-z0-9._-]*\.html$/;

export function loadQuestionFile(file = QUESTIONS_FILE): unknown {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** The entries whose fields can be read (for the other rules), and a line for every rule of shape broken. */
export function checkShape(data: unknown): { questions: Question[]; problems: string[] } {
  if (!Array.isArray(data)) return { questions: [], problems: ["the file must hold a JSON array of questions"] };
  const problems: string[] = [];
  const questions: Question[] = [];
  const ids = new Set<string>();
  const texts = new Set<string>();
  data.forEach((item: unknown, index) => {
    const at = `entry ${index}`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.push(`${at}: not an object`);
      return;
    }
    const q = item as Record<string, unknown>;
    const where = typeof q.id === "string" ? q.id : at;
    for (const key of Object.keys(q)) if (!KEYS.has(key)) problems.push(`${where}: unknown field "${key}"`);
    if (typeof q.id !== "string" || !/^q\d{3,}$/.test(q.id)) problems.push(`${at}: id must look like "q001"`);
    else if (ids.has(q.id)) problems.push(`${where}: duplicate id`);
    else ids.add(q.id);
    if (typeof q.question !== "string" || q.question.trim() === "") problems.push(`${where}: question must be a non-empty string`);
    else if (texts.has(q.question.trim().toLowerCase())) problems.push(`${where}: the same question text appears twice`);
    else texts.add(q.question.trim().toLowerCase());
    if (!KINDS.includes(q.kind as Kind)) problems.push(`${where}: kind must be one of ${KINDS.join(", ")}`);
    if (!Array.isArray(q.accepted) || q.accepted.length === 0) problems.push(`${where}: accepted must be a non-empty array`);
    else {
      for (const page of q.accepted) {
        if (typeof page !== "string" || !PAGE_NAME.test(page)) problems.push(`${where}: accepted page ${JSON.stringify(page)} is not an HTML file name`);
      }
      if (new Set(q.accepted).size !== q.accepted.length) problems.push(`${where}: accepted lists a page twice`);
    }
    if (q.note !== undefined && typeof q.note !== "string") problems.push(`${where}: note must be a string`);
    // Duplicates and stray fields are reported, but the entry is still checked against the corpus.
    if (isQuestion(q)) questions.push(q);
  });
  return { questions, problems };
}

/** Every field has the right type, so the other rules can read it. */
function isQuestion(q: Record<string, unknown>): q is Record<string, unknown> & Question {
  return (
    typeof q.id === "string" &&
    typeof q.question === "string" &&
    q.question.trim() !== "" &&
    KINDS.includes(q.kind as Kind) &&
    Array.isArray(q.accepted) &&
    q.accepted.length > 0 &&
    q.accepted.every((page) => typeof page === "string")
  );
}

export interface KindCounts {
  total: number;
  easy: number;
  paraphrase: number;
}

export function countKinds(questions: readonly Question[]): KindCounts {
  const paraphrase = questions.filter((q) => q.kind === "paraphrase").length;
  return { total: questions.length, easy: questions.length - paraphrase, paraphrase };
}

/** The minimums: enough questions, and at least half of them paraphrases. */
export function checkCounts(questions: readonly Question[]): string[] {
  const counts = countKinds(questions);
  const problems: string[] = [];
  if (counts.total < MIN_QUESTIONS) problems.push(`only ${counts.total} readable questions; at least ${MIN_QUESTIONS} are required`);
  if (counts.paraphrase < counts.total * MIN_PARAPHRASE_SHARE) {
    problems.push(`only ${counts.paraphrase} of ${counts.total} questions are paraphrases; at least ${MIN_PARAPHRASE_SHARE * 100}% are required`);
  }
  return problems;
}

/** Accepted pages exist; paraphrases share no content word with an accepted page's title. */
export function checkAgainstCorpus(questions: readonly Question[], pages: ManualPages): string[] {
  const problems: string[] = [];
  for (const q of questions) {
    for (const page of q.accepted) {
      const title = pages.title(page);
      if (title === undefined) {
        problems.push(`${q.id}: accepted page ${page} is not in ${pages.dir}`);
        continue;
      }
      if (q.kind !== "paraphrase") continue;
      const shared = sharedContentWords(q.question, title);
      if (shared.length > 0) problems.push(`${q.id}: paraphrase shares ${shared.join(", ")} with the title "${title}" of ${page}`);
    }
  }
  return problems;
}

export interface SetReport {
  questions: Question[];
  counts: KindCounts;
  problems: string[];
  /** False when the manual's folder was not there, so the corpus rules were not checked. */
  corpusChecked: boolean;
}

/** Every rule; the corpus rules only when `pages` is given and its folder is there. */
export function checkQuestionSet(data: unknown, pages: ManualPages | undefined): SetReport {
  const shape = checkShape(data);
  const corpusChecked = pages !== undefined && pages.present();
  const problems = [
    ...shape.problems,
    ...checkCounts(shape.questions),
    ...(corpusChecked ? checkAgainstCorpus(shape.questions, pages) : []),
  ];
  return { questions: shape.questions, counts: countKinds(shape.questions), problems, corpusChecked };
}

/** Questions per place in the manual (of each question's first accepted page), by kind, largest first. */
export function tallyByPlace(questions: readonly Question[], place: (page: string) => string): [string, KindCounts][] {
  const groups = new Map<string, Question[]>();
  for (const q of questions) {
    const key = place(q.accepted[0] ?? "");
    groups.set(key, [...(groups.get(key) ?? []), q]);
  }
  return [...groups.entries()]
    .map(([key, qs]): [string, KindCounts] => [key, countKinds(qs)])
    .sort((a, b) => b[1].total - a[1].total || a[0].localeCompare(b[0]));
}
