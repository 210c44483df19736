/**
 * Real pages for the process-model benchmarks: the HTML manual of PostgreSQL
 * 15 from Debian's postgresql-doc-15 (≈1,100 cross-linked pages, 1–450 KB).
 * Installed with apt-get when missing (the benchmark says so in its notes).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export const PG_DOC_DIR = "/usr/share/doc/postgresql-doc-15/html";

export interface Page {
  name: string;
  html: string;
  bytes: number;
}

/** Installs the package if the pages are missing; returns a note saying what was done. */
export function ensurePgDocs(): string {
  if (existsSync(PG_DOC_DIR)) return `PostgreSQL 15 manual from ${PG_DOC_DIR} (Debian postgresql-doc-15)`;
  execFileSync("apt-get", ["install", "-y", "-qq", "postgresql-doc-15"], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return `postgresql-doc-15 was missing and was installed with apt-get; pages from ${PG_DOC_DIR}`;
}

/** The `count` largest pages within [minBytes, maxBytes], largest first (a stable order for a given package version). */
export function largestPages(count: number, minBytes = 30_000, maxBytes = 400_000): Page[] {
  const files = readdirSync(PG_DOC_DIR)
    .filter((f) => f.endsWith(".html"))
    .map((f) => ({ name: f, bytes: statSync(path.join(PG_DOC_DIR, f)).size }))
    .filter((f) => f.bytes >= minBytes && f.bytes <= maxBytes)
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name))
    .slice(0, count);
  return files.map((f) => ({ ...f, html: readFileSync(path.join(PG_DOC_DIR, f.name), "utf8") }));
}

/** The same page made distinct (the pipeline reuses derived data of identical text). */
export function distinct(page: Page, tag: string): string {
  return page.html.replace(/<\/body>/i, `<p>Benchmark copy ${tag}.</p></body>`);
}
