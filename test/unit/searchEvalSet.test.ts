/**
 * The search evaluation set (bench/search-eval/questions.json) keeps its
 * rules: the committed file is checked here with the same module the
 * `bench/search-eval/check.ts` command uses, and the rules themselves are
 * checked on small made-up sets and a made-up three-page manual, so a rule
 * that stopped catching anything would fail here.
 *
 * The committed set's shape and counts are always checked; its accepted pages
 * and title words only where the manual is installed (PG_DOCS_DIR or Debian's
 * postgresql-doc-15 folder): a fresh machine may not have it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  checkAgainstCorpus,
  checkCounts,
  checkQuestionSet,
  checkShape,
  loadQuestionFile,
  MIN_QUESTIONS,
  type Question,
} from "@bench/search-eval/checkSet";
import { corpusDir, ManualPages, withoutNumber } from "@bench/search-eval/manualPages";
import { contentWords, sharedContentWords, stem } from "@bench/search-eval/titleWords";

describe("the committed question set", () => {
  const data = loadQuestionFile();

  it("has the right shape: unique ids, valid kinds, HTML page names", () => {
    const { questions, problems } = checkShape(data);
    expect(problems).toEqual([]);
    expect(questions.length).toBe((data as unknown[]).length);
  });

  it(`has at least ${MIN_QUESTIONS} questions, at least half of them paraphrases`, () => {
    const { questions } = checkShape(data);
    expect(checkCounts(questions)).toEqual([]);
    expect(questions.length).toBeGreaterThanOrEqual(MIN_QUESTIONS);
    expect(questions.filter((q) => q.kind === "paraphrase").length * 2).toBeGreaterThanOrEqual(questions.length);
  });

  it("names pages of the manual, and no paraphrase uses a word of its answer's title (where the manual is installed)", () => {
    const pages = new ManualPages(corpusDir());
    const report = checkQuestionSet(data, pages);
    if (!report.corpusChecked) {
      console.log(
        `searchEvalSet: the PostgreSQL manual is not at ${pages.dir}; accepted pages and paraphrase title words were NOT checked ` +
          "(apt-get install postgresql-doc-15, or set PG_DOCS_DIR)",
      );
    }
    expect(report.problems).toEqual([]);
  });
});

describe("content words", () => {
  it("stems inflections of one word to one stem", () => {
    for (const group of [["index", "indexes", "indexing"], ["update", "updates", "updated", "updating"], ["log", "logs", "logging"], ["partition", "partitions", "partitioning"], ["query", "queries"]]) {
      expect(new Set(group.map(stem)).size, group.join("/")).toBe(1);
    }
    expect(stem("table")).not.toBe(stem("tablespace"));
  });

  it("drops stop words, numbers and section numbers, and splits names on punctuation", () => {
    expect([...contentWords("11.6. How do I use the pg_hba.conf file?")].sort()).toEqual(["conf", "file", "hba", "pg", "use"].map(stem).sort());
    expect(sharedContentWords("Why is my table's index slow?", "11.6. Unique Indexes")).toEqual(["index"]);
    expect(sharedContentWords("Why is my table's index slow?", "CREATE TABLE")).toEqual(["table"]);
  });

  it("removes the number of a chapter, part or section from its title", () => {
    expect(withoutNumber("Chapter 8. Data Types")).toBe("Data Types");
    expect(withoutNumber("Part II. The SQL Language")).toBe("The SQL Language");
    expect(withoutNumber("F.32. pg_stat_statements")).toBe("pg_stat_statements");
    expect(withoutNumber("ROLLBACK")).toBe("ROLLBACK");
  });
});

const q = (id: string, kind: Question["kind"], question: string, accepted: string[]): Question => ({ id, question, kind, accepted });

describe("shape and count rules", () => {
  it("reports each broken rule of shape", () => {
    const { questions, problems } = checkShape([
      q("q001", "easy", "unique index", ["a.html"]),
      q("q001", "easy", "another question", ["b.html"]),
      { id: "q3", question: "", kind: "hard", accepted: [] },
      { id: "q004", question: "unique index", kind: "easy", accepted: ["../etc/passwd", "a.html", "a.html"], answer: "x" },
      "not an object",
    ]);
    expect(problems).toEqual([
      "q001: duplicate id",
      'entry 2: id must look like "q001"',
      "q3: question must be a non-empty string",
      "q3: kind must be one of easy, paraphrase",
      "q3: accepted must be a non-empty array",
      'q004: unknown field "answer"',
      "q004: the same question text appears twice",
      'q004: accepted page "../etc/passwd" is not an HTML file name',
      "q004: accepted lists a page twice",
      "entry 4: not an object",
    ]);
    // Entries whose fields can be read still go on to the corpus rules.
    expect(questions.map((x) => x.id)).toEqual(["q001", "q001", "q004"]);
    expect(checkShape({ questions: [] }).problems).toEqual(["the file must hold a JSON array of questions"]);
  });

  it("requires enough questions and at least half paraphrases", () => {
    const set = (easy: number, paraphrase: number) =>
      Array.from({ length: easy + paraphrase }, (_, i) => q(`q${String(i + 1).padStart(3, "0")}`, i < easy ? "easy" : "paraphrase", `question ${i}`, ["a.html"]));
    expect(checkCounts(set(30, 30))).toEqual([]);
    expect(checkCounts(set(29, 30))).toEqual([`only 59 readable questions; at least ${MIN_QUESTIONS} are required`]);
    expect(checkCounts(set(31, 30))).toEqual(["only 30 of 61 questions are paraphrases; at least 50% are required"]);
  });
});

describe("corpus rules on a made-up manual", () => {
  let dir: string;
  let pages: ManualPages;
  const page = (title: string, up?: string) =>
    `<html><head><title>${title}</title></head><body><div class="navheader"><table><tr>` +
    (up ? `<td><a accesskey="u" href="${up}">Up</a></td>` : "") +
    `</tr></table></div><p>text</p></body></html>`;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "search-eval-manual-"));
    writeFileSync(path.join(dir, "index.html"), page("PostgreSQL 15 Documentation"));
    writeFileSync(path.join(dir, "sql.html"), page("Part II. The SQL Language", "index.html"));
    writeFileSync(path.join(dir, "indexes.html"), page("Chapter 11. Indexes", "sql.html"));
    writeFileSync(path.join(dir, "indexes-unique.html"), page("11.6. Unique Indexes", "indexes.html"));
    writeFileSync(path.join(dir, "ddl-constraints.html"), page("5.4. Constraints &amp; Keys", "sql.html"));
    pages = new ManualPages(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads titles and places pages by their Up links", () => {
    expect(pages.present()).toBe(true);
    expect(pages.title("ddl-constraints.html")).toBe("5.4. Constraints & Keys");
    expect(pages.placeOf("indexes-unique.html")).toEqual({ part: "The SQL Language", chapter: "Indexes" });
    expect(pages.placeOf("sql.html")).toEqual({ part: "The SQL Language", chapter: "The SQL Language" });
    expect(pages.exists("missing.html")).toBe(false);
  });

  it("flags missing pages and paraphrases that share a (stemmed) title word, not easy questions", () => {
    const problems = checkAgainstCorpus(
      [
        q("q001", "paraphrase", "make a column reject repeated values", ["ddl-constraints.html", "indexes-unique.html"]),
        q("q002", "paraphrase", "Indexing a column so it stays unique?", ["indexes-unique.html"]),
        q("q003", "easy", "unique indexes", ["indexes-unique.html"]),
        q("q004", "paraphrase", "what are keys for", ["ddl-constraints.html", "missing.html"]),
      ],
      pages,
    );
    expect(problems).toEqual([
      'q002: paraphrase shares indexing, unique with the title "11.6. Unique Indexes" of indexes-unique.html',
      'q004: paraphrase shares keys with the title "5.4. Constraints & Keys" of ddl-constraints.html',
      `q004: accepted page missing.html is not in ${dir}`,
    ]);
  });

  it("checks only shape and counts when the manual's folder is absent, and says so", () => {
    const set = [q("q001", "paraphrase", "unique indexes", ["missing.html"])];
    const absent = checkQuestionSet(set, new ManualPages(path.join(dir, "no-such-folder")));
    expect(absent.corpusChecked).toBe(false);
    expect(absent.problems).toEqual(checkCounts(set));
    const present = checkQuestionSet(set, pages);
    expect(present.corpusChecked).toBe(true);
    expect(present.problems).toContain(`q001: accepted page missing.html is not in ${dir}`);
  });
});
