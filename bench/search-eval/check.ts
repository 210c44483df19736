/**
 * `npx tsx bench/search-eval/check.ts [questions.json]`
 *
 * Checks the search evaluation set against its rules (checkSet.ts) and prints
 * its counts: per kind, per part and per chapter of the manual. Exits 1 on any
 * broken rule. The manual is read from PG_DOCS_DIR, by default Debian's
 * postgresql-doc-15 folder; without it only the shape and counts are checked.
 */
import { checkQuestionSet, loadQuestionFile, QUESTIONS_FILE, tallyByPlace, type KindCounts } from "./checkSet";
import { corpusDir, ManualPages } from "./manualPages";

const file = process.argv[2] ?? QUESTIONS_FILE;
const pages = new ManualPages(corpusDir());
const report = checkQuestionSet(loadQuestionFile(file), pages);

const show = (c: KindCounts) => `${String(c.total).padStart(3)}  (easy ${c.easy}, paraphrase ${c.paraphrase})`;
console.log(`${file}`);
console.log(`questions: ${show(report.counts)}; paraphrase share ${((100 * report.counts.paraphrase) / Math.max(1, report.counts.total)).toFixed(1)}%`);
if (report.corpusChecked) {
  const accepted = report.questions.map((q) => q.accepted.length);
  console.log(`accepted pages per question: min ${Math.min(...accepted)}, max ${Math.max(...accepted)}, mean ${(accepted.reduce((a, b) => a + b, 0) / accepted.length).toFixed(2)}`);
  console.log("\nby part of the manual (first accepted page):");
  for (const [part, c] of tallyByPlace(report.questions, (p) => pages.placeOf(p).part)) console.log(`  ${show(c)}  ${part}`);
  console.log("\nby chapter:");
  for (const [chapter, c] of tallyByPlace(report.questions, (p) => pages.placeOf(p).chapter)) console.log(`  ${show(c)}  ${chapter}`);
} else {
  console.log(`\nthe manual is not at ${pages.dir} (set PG_DOCS_DIR or apt-get install postgresql-doc-15): accepted pages and title words NOT checked`);
}

if (report.problems.length > 0) {
  console.error(`\n${report.problems.length} problem(s):`);
  for (const p of report.problems) console.error(`  ${p}`);
  process.exit(1);
}
console.log("\nall rules hold");
