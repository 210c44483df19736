/**
 * Redis glob patterns (the syntax of SCAN MATCH), evaluated in process so L1
 * and the pattern log can be matched exactly like L2.
 *
 * Supported: `*` (any run), `?` (one character), `[abc]`, `[^abc]`, `[a-z]`, and
 * `\x` for a literal x.
 */

const compiled = new Map<string, RegExp>();
const COMPILED_LIMIT = 1_000;

export function globMatches(pattern: string, subject: string): boolean {
  let regexp = compiled.get(pattern);
  if (!regexp) {
    regexp = globToRegExp(pattern);
    if (compiled.size >= COMPILED_LIMIT) compiled.clear();
    compiled.set(pattern, regexp);
  }
  return regexp.test(subject);
}

export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*") {
      source += "[\\s\\S]*";
    } else if (char === "?") {
      source += "[\\s\\S]";
    } else if (char === "\\" && i + 1 < pattern.length) {
      source += escapeRegExp(pattern[++i] as string);
    } else if (char === "[") {
      const parsed = parseClass(pattern, i + 1);
      source += parsed.source;
      i = parsed.end;
    } else {
      source += escapeRegExp(char);
    }
  }
  return new RegExp(`^${source}$`);
}

/** A `[...]` class starting after its `[`; an unterminated class runs to the end, as in Redis. */
function parseClass(pattern: string, start: number): { source: string; end: number } {
  let i = start;
  let negate = false;
  if (pattern[i] === "^") {
    negate = true;
    i++;
  }
  let body = "";
  for (; i < pattern.length && pattern[i] !== "]"; i++) {
    let char = pattern[i] as string;
    if (char === "\\" && i + 1 < pattern.length) char = pattern[++i] as string;
    if (pattern[i + 1] === "-" && i + 2 < pattern.length && pattern[i + 2] !== "]") {
      let to = pattern[i + 2] as string;
      i += 2;
      if (to === "\\" && i + 1 < pattern.length) to = pattern[++i] as string;
      const [low, high] = char <= to ? [char, to] : [to, char];
      body += `${escapeClassChar(low)}-${escapeClassChar(high)}`;
    } else {
      body += escapeClassChar(char);
    }
  }
  if (body === "") return { source: negate ? "[\\s\\S]" : "(?!)", end: i };
  return { source: `[${negate ? "^" : ""}${body}]`, end: i };
}

/**
 * The literal text before the first wildcard, with escapes resolved, and
 * whether the whole pattern is that literal (no wildcard at all).
 */
export function literalPrefix(pattern: string): { prefix: string; isLiteral: boolean; rest: string } {
  let prefix = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (char === "*" || char === "?" || char === "[") return { prefix, isLiteral: false, rest: pattern.slice(i) };
    if (char === "\\" && i + 1 < pattern.length) {
      prefix += pattern[++i];
    } else {
      prefix += char;
    }
  }
  return { prefix, isLiteral: true, rest: "" };
}

/** Escapes glob metacharacters so `text` matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
}

function escapeRegExp(char: string): string {
  return char.replace(/[.*+?^${}()|[\]\\/]/g, (c) => `\\${c}`);
}

function escapeClassChar(char: string): string {
  return char.replace(/[\]\\^-]/g, (c) => `\\${c}`);
}
