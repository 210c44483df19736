/**
 * Real documents for the benchmarks: the README.md files of the packages
 * installed under node_modules (top level and scoped), 3–40 KB, sorted by path
 * and de-duplicated by content, so every run on the same lockfile uses the
 * same documents in the same order.
 *
 * The pipeline reuses the embedding of identical text (content hash), so a
 * benchmark that ingests the same document twice marks each copy with
 * `variant()`: the real text plus one line naming the copy.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "@test/helpers/processes";

export interface Doc {
  /** Package the README belongs to, e.g. `@aws-sdk/client-sqs`. */
  name: string;
  path: string;
  text: string;
  bytes: number;
}

const MIN_BYTES = 3_000;
const MAX_BYTES = 40_000;

let cached: Doc[] | undefined;

export function loadCorpus(): Doc[] {
  if (cached) return cached;
  const root = path.join(repoRoot, "node_modules");
  const packageDirs: string[] = [];
  for (const entry of readdirSync(root)) {
    if (entry.startsWith(".")) continue;
    const dir = path.join(root, entry);
    if (entry.startsWith("@")) {
      for (const sub of safeReaddir(dir)) packageDirs.push(path.join(dir, sub));
    } else {
      packageDirs.push(dir);
    }
  }
  const seen = new Set<string>();
  const docs: Doc[] = [];
  for (const dir of packageDirs.sort()) {
    const file = ["README.md", "readme.md", "Readme.md"].map((f) => path.join(dir, f)).find((f) => existsSync(f));
    if (!file) continue;
    const size = statSync(file).size;
    if (size < MIN_BYTES || size > MAX_BYTES) continue;
    const text = readFileSync(file, "utf8");
    if (text.includes("\u0000")) continue;
    const hash = createHash("sha256").update(text).digest("hex");
    if (seen.has(hash)) continue;
    seen.add(hash);
    docs.push({ name: path.relative(root, dir), path: path.relative(repoRoot, file), text, bytes: size });
  }
  cached = docs;
  return docs;
}

/** `n` documents (cycling when the corpus is smaller), in corpus order from `offset`. */
export function pickDocs(n: number, offset = 0): Doc[] {
  const docs = loadCorpus();
  if (docs.length === 0) throw new Error("no README.md of 3–40 KB under node_modules");
  return Array.from({ length: n }, (_, i) => docs[(offset + i) % docs.length]!);
}

/** The document's real text with one trailing line naming this copy, so its hash is its own. */
export function variant(doc: Doc, tag: string): string {
  return `${doc.text.trimEnd()}\n\nBench copy ${tag}.\n`;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
