/**
 * `npm run eval:duplicates [-- --originals N --copies N --siblings N]`:
 * precision and recall of near-duplicate detection on a labelled set built
 * from the PostgreSQL manual (bench/duplicates/), at the configured threshold
 * and a sweep around it. Printed and written to
 * bench/results/<date>-duplicates-eval.json; docs/duplicates.md quotes it.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { repoRoot } from "@test/helpers/processes";

process.env.LOG_LEVEL ??= "silent";
const { buildLabelledSet } = await import("./duplicates/labelledSet");
const { evaluateDuplicates } = await import("./duplicates/evaluate");
const { DUPLICATE_THRESHOLD } = await import("@shared/domain/fingerprint");

const { values } = parseArgs({ options: { originals: { type: "string", default: "400" }, copies: { type: "string", default: "210" }, siblings: { type: "string", default: "300" } } });
const started = new Date();
const set = buildLabelledSet({ originals: Number(values.originals), copies: Number(values.copies), siblings: Number(values.siblings) });
const sweep = [0.5, 0.6, 0.65, 0.7, DUPLICATE_THRESHOLD, 0.75, 0.8, 0.85, 0.9].filter((t, i, a) => a.indexOf(t) === i).sort((a, b) => a - b);
const figures = await evaluateDuplicates(set, sweep);
const at = figures.find((f) => f.threshold === DUPLICATE_THRESHOLD)!;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const lines = [
  `Near-duplicate detection on the PostgreSQL manual: ${at.originals} originals in the library, ${at.nearCopies} near-copies, ${at.nonDuplicates} sibling non-duplicates sharing the site template`,
  "",
  "| threshold | precision | recall | TP | FP | FN |",
  "|---|---|---|---|---|---|",
  ...figures.map((f) => `| ${f.threshold}${f.threshold === DUPLICATE_THRESHOLD ? " (configured)" : ""} | ${pct(f.precision)} | ${pct(f.recall)} | ${f.truePositives} | ${f.falsePositives} | ${f.falseNegatives} |`),
  "",
  `At ${DUPLICATE_THRESHOLD}, flagged per kind: ${Object.entries(at.byKind).map(([k, v]) => `${k} ${v.found}/${v.n}`).join(", ")}`,
  `hardest non-duplicate: ${at.hardestNonDuplicate?.page} at ${at.hardestNonDuplicate?.similarity.toFixed(3)}; hardest near-copy: ${at.hardestNearCopy?.page} (${at.hardestNearCopy?.kind}) at ${at.hardestNearCopy?.similarity.toFixed(3)}`,
  `LSH candidates per probe: ${at.meanCandidates.toFixed(2)} of ${at.originals}; fingerprint ${at.fingerprintMsPerDocument.toFixed(2)} ms per document`,
];
const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot }).toString().trim();
process.stdout.write(`${lines.join("\n")}\ncommit ${commit}\n`);
const dir = path.join(repoRoot, "bench", "results");
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `${started.toISOString().slice(0, 10)}-duplicates-eval.json`);
writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), commit, command: "npm run eval:duplicates", figures, markdown: lines.join("\n") }, null, 2)}\n`);
process.stdout.write(`written: ${path.relative(repoRoot, file)}\n`);
process.exit(0);
