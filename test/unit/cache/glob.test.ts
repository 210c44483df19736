import { describe, expect, it } from "vitest";
import { escapeGlob, globMatches, literalPrefix } from "@shared/cache/glob";

describe("globMatches (Redis glob semantics)", () => {
  it.each([
    ["search:*", "search:abc", true],
    ["search:*", "resource:abc", false],
    ["resource:a?c", "resource:abc", true],
    ["resource:a?c", "resource:ac", false],
    ["resource:[ab]1", "resource:b1", true],
    ["resource:[ab]1", "resource:c1", false],
    ["resource:[^ab]1", "resource:c1", true],
    ["resource:[^ab]1", "resource:a1", false],
    ["resource:[a-c]x", "resource:bx", true],
    ["resource:[a-c]x", "resource:dx", false],
    ["resource:a\\*", "resource:a*", true],
    ["resource:a\\*", "resource:ab", false],
    ["*:id.1", "neighbors:id.1", true],
    ["*:id.1", "neighbors:idx1", false],
    ["search:(x)+", "search:(x)+", true],
    ["search:*", "search:line\nbreak", true],
  ])("%j against %j -> %s", (pattern, subject, expected) => {
    expect(globMatches(pattern, subject)).toBe(expected);
  });

  it("escapeGlob makes any text match only itself", () => {
    const text = "a*b?c[d]e\\f";
    expect(globMatches(escapeGlob(text), text)).toBe(true);
    expect(globMatches(escapeGlob(text), "aXb?c[d]e\\f")).toBe(false);
  });

  it("literalPrefix stops at the first wildcard and resolves escapes", () => {
    expect(literalPrefix("resource:ab*")).toEqual({ prefix: "resource:ab", isLiteral: false, rest: "*" });
    expect(literalPrefix("resource:a\\*b")).toEqual({ prefix: "resource:a*b", isLiteral: true, rest: "" });
    expect(literalPrefix("*")).toEqual({ prefix: "", isLiteral: false, rest: "*" });
  });
});
