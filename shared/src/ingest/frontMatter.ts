/**
 * The YAML front matter of a markdown file ("---" ... "---" at the very top),
 * read for the few fields ingestion uses. A subset parser, deliberately:
 * `key: value`, quoted values, `key: [a, b]` and `key:` followed by `- item`
 * lines. Anything else is ignored rather than failing the document.
 */

export interface FrontMatter {
  fields: Map<string, string[]>;
  /** The document with the front matter removed. */
  body: string;
}

const FRONT_MATTER = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|$)/;

export function splitFrontMatter(markdown: string): FrontMatter {
  const match = FRONT_MATTER.exec(markdown);
  if (!match) return { fields: new Map(), body: markdown };
  return { fields: parseFields(match[1] ?? ""), body: markdown.slice(match[0].length) };
}

function parseFields(yaml: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  let listKey: string | null = null;
  for (const line of yaml.split(/\r?\n/)) {
    const item = /^\s+-\s+(.*)$/.exec(line) ?? (listKey ? /^-\s+(.*)$/.exec(line) : null);
    if (item && listKey) {
      const value = scalar(item[1] ?? "");
      if (value) fields.get(listKey)?.push(value);
      continue;
    }
    const entry = /^([A-Za-z_][\w-]*)\s*:\s*(.*)$/.exec(line);
    if (!entry) {
      listKey = null;
      continue;
    }
    const key = (entry[1] ?? "").toLowerCase();
    const rest = (entry[2] ?? "").trim();
    if (rest === "") {
      listKey = key;
      fields.set(key, []);
    } else if (rest.startsWith("[") && rest.endsWith("]")) {
      listKey = null;
      fields.set(key, rest.slice(1, -1).split(",").map(scalar).filter((value) => value !== ""));
    } else {
      listKey = null;
      const value = scalar(rest);
      fields.set(key, value === "" ? [] : [value]);
    }
  }
  return fields;
}

/** Unquote; drop a trailing "# comment" from unquoted values. */
function scalar(raw: string): string {
  const trimmed = raw.trim();
  const quoted = /^(["'])([\s\S]*)\1$/.exec(trimmed);
  if (quoted) return (quoted[2] ?? "").trim();
  return trimmed.replace(/\s+#.*$/, "").trim();
}
