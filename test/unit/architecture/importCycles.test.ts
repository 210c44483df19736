/**
 * No import cycles in the source (issue 17): walks every import of every
 * TypeScript file under shared/, functions/ and local/ with the TypeScript
 * compiler's own parser (type-only imports included: they still tie modules
 * together) and fails naming the first cycle found. Imports that leave their
 * area (shared/src, functions/src, local/src, infra, test, bench) use the
 * path aliases of tsconfig.json (`@shared/…`), never `../../…`.
 */
import { readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");
const SOURCES = ["shared/src", "functions/src", "local/src"];
const AREAS = [...SOURCES, "infra", "test", "bench"];
/** tsconfig.json's `paths`: alias prefix → directory. */
const ALIASES = Object.entries(
  (JSON.parse(readFileSync(path.join(ROOT, "tsconfig.json"), "utf8")) as { compilerOptions: { paths: Record<string, string[]> } }).compilerOptions.paths,
).map(([from, [to]]) => ({ prefix: from.replace("*", ""), dir: path.join(ROOT, to!.replace("*", "")) }));

const areaOf = (file: string) => AREAS.find((a) => path.relative(path.join(ROOT, a), file).split(path.sep)[0] !== "..");

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return filesUnder(full);
    return /\.ts$/.test(name) && !name.endsWith(".d.ts") ? [full] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const alias = ALIASES.find((a) => spec.startsWith(a.prefix));
  if (!spec.startsWith(".") && !alias) return undefined;
  const base = alias ? path.join(alias.dir, spec.slice(alias.prefix.length)) : path.resolve(path.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, path.join(base, "index.ts"), base.replace(/\.js$/, ".ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile() && candidate.endsWith(".ts")) return candidate;
  }
  return undefined;
}

/** The module specifiers of a file's static imports and re-exports. */
function specifiersOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, false);
  const out: string[] = [];
  const visit = (node: ts.Node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

export function importsOf(file: string): string[] {
  return specifiersOf(file).flatMap((spec) => resolveImport(file, spec) ?? []);
}

/** Every cycle's path (Tarjan's strongly connected components with more than one file, or a self-import). */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indices.get(w)!));
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(component.reverse());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) connect(v);
  return out;
}

describe("import graph", () => {
  it("finds a cycle when there is one (the check can fail)", () => {
    expect(cyclesOf(new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]))).toEqual([["a", "b", "c"]]);
    expect(cyclesOf(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });

  it("has no cycle in shared/, functions/ and local/", () => {
    const files = SOURCES.flatMap((d) => filesUnder(path.join(ROOT, d)));
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const cycles = cyclesOf(graph).map((c) => c.map((f) => path.relative(ROOT, f)));
    expect(cycles).toEqual([]);
  });

  it("reaches other areas through the path aliases, not ../../", () => {
    const files = AREAS.flatMap((d) => filesUnder(path.join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const crossing = files.flatMap((file) =>
      specifiersOf(file)
        .filter((spec) => spec.startsWith("."))
        .filter((spec) => {
          const target = resolveImport(file, spec);
          return target !== undefined && areaOf(target) !== areaOf(file);
        })
        .map((spec) => `${path.relative(ROOT, file)}: ${spec}`),
    );
    expect(crossing).toEqual([]);
  });
});
