/**
 * `npx tsx bench/search-eval/anchorText.ts`: how much the text of the links
 * pointing at a page could add to its index (issue 16, "anchor text"), on the
 * PostgreSQL manual: for every link between two pages of the manual (not the
 * Prev / Next / Up / Home navigation, not from the release notes or the book
 * index, which are never answers), whether its text holds a word (three
 * letters or more) that the target page's own text lacks. Anchor text can
 * only bring a page up for a query if it adds such words (or repeats the
 * page's own words, which BM25 already weighs).
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { DOCS_DIR } from "../searchEval";

const NAVIGATION = new Set(["Prev", "Next", "Up", "Home"]);
const pages = readdirSync(DOCS_DIR).filter((f) => f.endsWith(".html"));
const html = new Map(pages.map((p) => [p, readFileSync(path.join(DOCS_DIR, p), "utf8")]));
const words = (text: string) => new Set(text.toLowerCase().match(/[a-z]{3,}/g) ?? []);
const plain = (markup: string) => decode(markup.replace(/<[^>]+>/g, " "));
const ownWords = new Map([...html].map(([p, h]) => [p, words(plain(h))]));

let links = 0;
let adding = 0;
const added = new Map<string, number>();
for (const [page, markup] of html) {
  if (page === "bookindex.html" || page.startsWith("release")) continue;
  for (const m of markup.matchAll(/<a [^>]*href="([a-z0-9_-]+\.html)(?:#[^"]*)?"[^>]*>([\s\S]*?)<\/a>/g)) {
    const target = m[1]!;
    if (target === page || !ownWords.has(target)) continue;
    const text = plain(m[2]!).trim();
    if (NAVIGATION.has(text)) continue;
    links++;
    const fresh = [...words(text)].filter((w) => !ownWords.get(target)!.has(w));
    if (fresh.length > 0) adding++;
    for (const w of fresh) added.set(w, (added.get(w) ?? 0) + 1);
  }
}
const common = [...added].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([w, n]) => `${w} ${n}`);
process.stdout.write(`${pages.length} pages; ${links} links between pages; ${adding} of them (${((100 * adding) / links).toFixed(1)}%) carry a word the target page lacks; most common such words: ${common.join(", ")}\n`);

function decode(text: string): string {
  return text.replace(/&nbsp;|&#160;/g, " ").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)));
}
