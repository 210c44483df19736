/** What a benchmark hands back, and the table the runner prints. */

export interface Figure {
  /** Requirement reference, e.g. "13.1". */
  ref: string;
  /** What is measured. */
  what: string;
  /** The requirement's target ("—" when the requirement names none). */
  requirement: string;
  /** Our aim. */
  aim: string;
  /** The measurement, formatted. */
  measured: string;
  /** The measurement as a number (unit in `unit`), for the JSON file. */
  value?: number | null;
  unit?: string;
  /** Whether the measurement meets our aim (null: no aim, or not comparable). */
  meetsAim?: boolean | null;
}

export interface BenchResult {
  name: string;
  title: string;
  figures: Figure[];
  /** Raw numbers behind the figures. */
  details: Record<string, unknown>;
  notes: string[];
  durationMs: number;
}

export interface BenchOptions {
  quick: boolean;
}

export type Benchmark = (options: BenchOptions) => Promise<Omit<BenchResult, "durationMs" | "name">>;

function cell(s: string, width: number): string {
  return s.length > width ? `${s.slice(0, width - 1)}…` : s.padEnd(width);
}

/** A fixed-width table for the terminal. */
export function textTable(figures: readonly Figure[]): string {
  const widths = [5, 54, 12, 14, 46];
  const head = ["ref", "figure", "requirement", "our aim", "measured"];
  const lines = [head.map((h, i) => cell(h, widths[i]!)).join(" │ "), widths.map((w) => "─".repeat(w)).join("─┼─")];
  for (const f of figures) {
    const mark = f.meetsAim === true ? " ✓" : f.meetsAim === false ? " ✗" : "";
    lines.push([f.ref, f.what, f.requirement, f.aim, f.measured + mark].map((c, i) => cell(c, widths[i]!)).join(" │ "));
  }
  return lines.join("\n");
}

/** The same table in Markdown, for docs/performance.md. */
export function markdownTable(figures: readonly Figure[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const lines = ["| ref | figure | requirement | our aim | measured | aim met |", "|---|---|---|---|---|---|"];
  for (const f of figures) {
    const met = f.meetsAim === true ? "yes" : f.meetsAim === false ? "**no**" : "—";
    lines.push(`| ${esc(f.ref)} | ${esc(f.what)} | ${esc(f.requirement)} | ${esc(f.aim)} | ${esc(f.measured)} | ${met} |`);
  }
  return lines.join("\n");
}
