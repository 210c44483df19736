/**
 * `npm run eval:tags [-- --seeds N --others N]`: how good are tag suggestions?
 * A person labels a few pages of the PostgreSQL manual with their own tags
 * (one tag per section of the manual: the labels are the manual's own file
 * families), the rest of the library is undecided, and the tag model
 * (`scoreTag`, the code `suggestTags` runs) scores every undecided page. A
 * suggestion is a score ≥ SUGGEST_THRESHOLD; it is right when the page belongs
 * to the tag's section. Reported per number of examples per tag: precision,
 * recall, and precision per confidence band (is a 0.95 worth more than a
 * 0.65?). Pages of other sections stay in the library as true non-members.
 * Printed and written to bench/results/<date>-tags-eval.json; docs/pages.md quotes it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@test/helpers/processes";
import { seededRandom } from "@test/helpers/seededRandom";

process.env.LOG_LEVEL ??= "silent";
const { extractHtml } = await import("@shared/ingest/htmlExtract");
const { scoreTag, textOf, SUGGEST_THRESHOLD } = await import("@shared/app/tags");

const DIR = "/usr/share/doc/postgresql-doc-15/html";
/** A person's tags, each the pages of one section of the manual. */
const TAGS: Record<string, RegExp> = {
  "SQL commands": /^sql-(?!commands|syntax|expressions|keywords)/,
  "server configuration": /^runtime-config-/,
  functions: /^functions-/,
  "system catalogs": /^catalog-pg-/,
  "client library (libpq)": /^libpq-/,
  "PL/pgSQL": /^plpgsql-/,
  "embedded SQL (ECPG)": /^ecpg-/,
};
const KS = [2, 5, 10];
const BANDS: Array<[number, number]> = [
  [0.6, 0.8],
  [0.8, 0.95],
  [0.95, 0.999],
  [0.999, 1.01],
];

const { values } = parseArgs({ options: { seeds: { type: "string", default: "3" }, others: { type: "string", default: "200" }, "library-background": { type: "boolean", default: false } } });
const libraryBackground = values["library-background"];
const seeds = Number(values.seeds);
const started = new Date();

interface Page {
  id: string;
  text: string;
  tag: string | null;
}
const files = readdirSync(DIR)
  .filter((f) => f.endsWith(".html"))
  .sort();
const tagOf = (f: string) => Object.entries(TAGS).find(([, re]) => re.test(f))?.[0] ?? null;
/** Fisher–Yates with a seeded generator: the same draw every run. */
function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
const others = shuffled(
  files.filter((f) => tagOf(f) === null),
  seededRandom(18),
);
const chosen = [...files.filter((f) => tagOf(f) !== null), ...others.slice(0, Number(values.others))];
const pages: Page[] = [];
for (const f of chosen) {
  const x = extractHtml(readFileSync(path.join(DIR, f)), { url: null });
  if (x.text.trim().split(/\s+/).length < 30) continue;
  pages.push({ id: f, text: textOf({ title: x.title, content: x.text }), tag: tagOf(f) });
}

interface Tally {
  suggestions: number;
  right: number;
  members: number;
  found: number;
}
const blank = (): Tally => ({ suggestions: 0, right: 0, members: 0, found: 0 });
/** Thresholds the sweep reports, beside the configured one. */
const SWEEP = [0.6, 0.8, 0.9, 0.95, 0.99];
const figures: Array<{
  k: number;
  overall: Tally;
  perTag: Record<string, Tally>;
  bands: Array<{ band: string; suggestions: number; right: number }>;
  sweep: Array<{ threshold: number; suggestions: number; precision: number; recall: number }>;
  ms: number;
}> = [];

for (const k of KS) {
  const overall = blank();
  const perTag: Record<string, Tally> = Object.fromEntries(Object.keys(TAGS).map((t) => [t, blank()]));
  const bands = BANDS.map(([lo, hi]) => ({ band: `${lo}–${Math.min(hi, 1)}`, lo, hi, suggestions: 0, right: 0 }));
  const t0 = performance.now();
  const all: Array<{ confidence: number; member: boolean }> = [];
  for (let s = 0; s < seeds; s++) {
    const pick = seededRandom(1000 * k + s);
    // The person's labels: k pages of each section, tagged by hand.
    const labelled = new Map<string, string>();
    for (const tag of Object.keys(TAGS)) {
      const members = shuffled(
        pages.filter((p) => p.tag === tag),
        pick,
      );
      for (const p of members.slice(0, k)) labelled.set(p.id, tag);
    }
    const undecided = pages.filter((p) => !labelled.has(p.id));
    for (const tag of Object.keys(TAGS)) {
      // As suggestTags: positives are this tag's examples, negatives the pages tagged otherwise.
      const positives = pages.filter((p) => labelled.get(p.id) === tag).map((p) => p.text);
      const negatives = pages.filter((p) => labelled.has(p.id) && labelled.get(p.id) !== tag).map((p) => p.text);
      const scores = await scoreTag(positives, negatives, undecided, { libraryBackground });
      const byId = new Map(undecided.map((p) => [p.id, p]));
      for (const { id, confidence } of scores) {
        const page = byId.get(id)!;
        const member = page.tag === tag;
        const t = perTag[tag]!;
        if (member) {
          t.members++;
          overall.members++;
        }
        all.push({ confidence, member });
        if (confidence < SUGGEST_THRESHOLD) continue;
        t.suggestions++;
        overall.suggestions++;
        if (member) {
          t.right++;
          t.found++;
          overall.right++;
          overall.found++;
        }
        const band = bands.find((b) => confidence >= b.lo && confidence < b.hi)!;
        band.suggestions++;
        if (member) band.right++;
      }
    }
  }
  const members = all.filter((a) => a.member).length;
  const sweep = [...new Set([...SWEEP, SUGGEST_THRESHOLD])]
    .sort((a, b) => a - b)
    .map((threshold) => {
      const shown = all.filter((a) => a.confidence >= threshold);
      const right = shown.filter((a) => a.member).length;
      return { threshold, suggestions: shown.length, precision: shown.length ? right / shown.length : 0, recall: members ? right / members : 0 };
    });
  figures.push({ k, overall, perTag, bands: bands.map(({ band, suggestions, right }) => ({ band, suggestions, right })), sweep, ms: performance.now() - t0 });
}

const pct = (a: number, b: number) => (b === 0 ? "–" : `${((100 * a) / b).toFixed(1)}%`);
const lines = [
  `Tag suggestions on the PostgreSQL manual: ${pages.length} pages (${pages.filter((p) => p.tag).length} in ${Object.keys(TAGS).length} tagged sections, ${pages.filter((p) => !p.tag).length} from other sections), threshold ${SUGGEST_THRESHOLD}, background: seed passages${libraryBackground ? " + undecided library resources (cross-fitted)" : ""}, ${seeds} draws of the labelled pages per row`,
  "",
  "| examples per tag | suggestions | precision | recall |",
  "|---|---|---|---|",
  ...figures.map((f) => `| ${f.k} | ${f.overall.suggestions} | ${pct(f.overall.right, f.overall.suggestions)} | ${pct(f.overall.found, f.overall.members)} |`),
  "",
  "Threshold sweep (precision / recall, suggestions):",
  "",
  `| examples per tag | ${figures[0]!.sweep.map((w) => `≥ ${w.threshold}${w.threshold === SUGGEST_THRESHOLD ? " (configured)" : ""}`).join(" | ")} |`,
  `|---|${figures[0]!.sweep.map(() => "---").join("|")}|`,
  ...figures.map((f) => `| ${f.k} | ${f.sweep.map((w) => `${pct(w.precision, 1)} / ${pct(w.recall, 1)} (${w.suggestions})`).join(" | ")} |`),
  "",
  "Precision per confidence band (suggestions in the band):",
  "",
  `| examples per tag | ${BANDS.map(([lo, hi]) => `${lo}–${Math.min(hi, 1)}`).join(" | ")} |`,
  `|---|${BANDS.map(() => "---").join("|")}|`,
  ...figures.map((f) => `| ${f.k} | ${f.bands.map((b) => `${pct(b.right, b.suggestions)} (${b.suggestions})`).join(" | ")} |`),
  "",
  "Per tag (precision / recall):",
  "",
  `| tag | ${KS.map((k) => `${k} examples`).join(" | ")} |`,
  `|---|${KS.map(() => "---").join("|")}|`,
  ...Object.keys(TAGS).map((tag) => `| ${tag} | ${figures.map((f) => `${pct(f.perTag[tag]!.right, f.perTag[tag]!.suggestions)} / ${pct(f.perTag[tag]!.found, f.perTag[tag]!.members)}`).join(" | ")} |`),
];
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
process.stdout.write(`${lines.join("\n")}\ncommit ${commit}\n`);
const dir = path.join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${started.toISOString().slice(0, 10)}-tags-eval${libraryBackground ? "-library-background" : ""}.json`);
writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), commit, command: `npm run eval:tags -- --seeds ${seeds} --others ${values.others}${libraryBackground ? " --library-background" : ""}`, figures, markdown: lines.join("\n") }, null, 2)}\n`);
process.stdout.write(`written: ${path.relative(repoRoot, file)}\n`);
process.exit(0);
