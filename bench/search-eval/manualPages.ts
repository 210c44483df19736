/**
 * Reads what the evaluation set needs from the PostgreSQL manual's HTML pages
 * (Debian's postgresql-doc-15): a page's <title>, and where it sits in the
 * manual — the chain of "Up" links from the page to the home page, which gives
 * its part ("The SQL Language", "Reference", ...) and chapter ("Data Types",
 * "SQL Commands", ...). Each page is read once per folder.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/** Where Debian installs the manual; PG_DOCS_DIR points elsewhere. */
export const DEFAULT_CORPUS_DIR = "/usr/share/doc/postgresql-doc-15/html";

export function corpusDir(): string {
  return process.env.PG_DOCS_DIR ?? DEFAULT_CORPUS_DIR;
}

/** The home page every "Up" chain ends at. */
const HOME = "index.html";

interface PageHead {
  title: string;
  /** File name of the parent page, if the page has one. */
  up: string | undefined;
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", nbsp: " " };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X")) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith("#")) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/** Title and parent of an HTML page of the manual (DocBook XSL output). */
export function parseHead(html: string): PageHead {
  const title = /<title>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? "";
  const up = /<a accesskey="u" href="([^"#]+)/.exec(html)?.[1];
  return { title: decodeEntities(title).replace(/\s+/g, " ").trim(), up };
}

/** "Chapter 8. Data Types" → "Data Types"; "Part II. The SQL Language" → "The SQL Language"; "F.3. auth_delay" → "auth_delay". */
export function withoutNumber(title: string): string {
  return title.replace(/^(?:(?:Part|Chapter|Appendix)\s+)?[A-Z0-9]+(?:\.[0-9]+)*\.\s+/, "").trim();
}

export class ManualPages {
  private readonly heads = new Map<string, PageHead | null>();

  constructor(readonly dir: string) {}

  /** True when the folder looks like the manual (its home page is there). */
  present(): boolean {
    return existsSync(path.join(this.dir, HOME));
  }

  exists(page: string): boolean {
    return this.head(page) !== null;
  }

  title(page: string): string | undefined {
    return this.head(page)?.title;
  }

  /**
   * The page's place in the manual: `part` is the top-level section under the
   * home page, `chapter` the one below it (the page itself when it is a part).
   */
  placeOf(page: string): { part: string; chapter: string } {
    const chain: string[] = [];
    for (let p: string | undefined = page; p && p !== HOME && !chain.includes(p); p = this.head(p)?.up) chain.unshift(p);
    const [part, chapter] = chain;
    const name = (p: string | undefined) => (p ? withoutNumber(this.title(p) ?? p) : "(unknown)");
    return { part: name(part), chapter: name(chapter ?? part) };
  }

  private head(page: string): PageHead | null {
    let head = this.heads.get(page);
    if (head === undefined) {
      // A file name only: an accepted page never names a path outside the folder.
      const file = path.join(this.dir, page);
      head = path.basename(page) === page && page.endsWith(".html") && existsSync(file) ? parseHead(readFileSync(file, "utf8")) : null;
      this.heads.set(page, head);
    }
    return head;
  }
}
