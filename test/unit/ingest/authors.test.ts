import { describe, expect, it } from "vitest";
import { parseAuthorList } from "@shared/ingest/authors";

describe("parseAuthorList", () => {
  it.each([
    ["Alice Smith and Bob Jones", ["Alice Smith", "Bob Jones"]],
    ["Alice Smith; Bob Jones;Carol White", ["Alice Smith", "Bob Jones", "Carol White"]],
    ["Alice Smith, Bob Jones, and Carol White", ["Alice Smith", "Bob Jones", "Carol White"]],
    ["Alice Smith, Bob Jones & Carol White", ["Alice Smith", "Bob Jones", "Carol White"]],
    ["Eric P. Allman and James Clark", ["Eric P. Allman", "James Clark"]],
  ])("splits %j", (raw, expected) => {
    expect(parseAuthorList(raw)).toEqual(expected);
  });

  it.each([
    ["Smith, John", ["Smith, John"]],
    ["Smith, John and Doe, Jane", ["Smith, John", "Doe, Jane"]],
    ["Smith, J.; Doe, J. R.", ["Smith, J.", "Doe, J. R."]],
    ["Smith, J., Doe, J.-P.", ["Smith, J.", "Doe, J.-P."]],
    ["van Rossum, Guido", ["van Rossum, Guido"]],
    ["García Márquez, Gabriel", ["García Márquez, Gabriel"]],
  ])("keeps surname-comma-given names whole in %j", (raw, expected) => {
    expect(parseAuthorList(raw)).toEqual(expected);
  });

  it("reads commas as separators when the list is not clearly inverted", () => {
    expect(parseAuthorList("Ann Lee, Bo Chen")).toEqual(["Ann Lee", "Bo Chen"]);
    expect(parseAuthorList("Smith, Jones, and White")).toEqual(["Smith", "Jones", "White"]);
    expect(parseAuthorList("Alice, Bob, Carol")).toEqual(["Alice", "Bob", "Carol"]);
  });

  it("keeps generational suffixes with their name", () => {
    expect(parseAuthorList("Martin Luther King, Jr. and Jane Roe")).toEqual(["Martin Luther King, Jr.", "Jane Roe"]);
  });

  it("drops e-mail addresses, URLs, a leading 'by' and placeholders", () => {
    // The first is the real <meta name="author"> of the Expat reference manual.
    expect(parseAuthorList("Clark Cooper, coopercc@netheaven.com")).toEqual(["Clark Cooper"]);
    expect(parseAuthorList("By Jane Roe <jane@example.org>")).toEqual(["Jane Roe"]);
    expect(parseAuthorList("by: Jane Roe (jane@example.org), https://example.org/jane")).toEqual(["Jane Roe"]);
    expect(parseAuthorList("Jane Roe et al.")).toEqual(["Jane Roe"]);
    expect(parseAuthorList("Jane Roe and others")).toEqual(["Jane Roe"]);
  });

  it("accepts arrays, splits each entry and removes duplicates", () => {
    expect(parseAuthorList(["Smith, John", "Doe, Jane", "smith, john"])).toEqual(["Smith, John", "Doe, Jane"]);
    expect(parseAuthorList(["Alice Smith and Bob Jones", "Carol White"])).toEqual(["Alice Smith", "Bob Jones", "Carol White"]);
  });

  it("returns nothing for empty or name-less input", () => {
    expect(parseAuthorList("")).toEqual([]);
    expect(parseAuthorList("  ;  , ")).toEqual([]);
    expect(parseAuthorList([])).toEqual([]);
    expect(parseAuthorList("someone@example.org")).toEqual([]);
  });
});
