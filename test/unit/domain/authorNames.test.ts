import { describe, expect, it } from "vitest";
import { canonicalKey, clusterAuthors, formatName, isSamePerson, parseName } from "@shared/domain/authorNames";

describe("parseName", () => {
  it.each([
    // raw, given, family, initials, suffix
    ["Smith, John", ["John"], "Smith", "J", undefined],
    ["J. Smith", ["J."], "Smith", "J", undefined],
    ["John Smith", ["John"], "Smith", "J", undefined],
    ["SMITH J", ["J."], "Smith", "J", undefined],
    ["John A. Smith", ["John", "A."], "Smith", "JA", undefined],
    ["Smith J.A.", ["J.", "A."], "Smith", "JA", undefined],
    ["Smith JA", ["J.", "A."], "Smith", "JA", undefined],
    ["de la Cruz, María", ["María"], "de la Cruz", "M", undefined],
    ["María de la Cruz", ["María"], "de la Cruz", "M", undefined],
    ["van der Berg, Jan", ["Jan"], "van der Berg", "J", undefined],
    ["Berg, Jan van der", ["Jan"], "van der Berg", "J", undefined],
    ["Jan van der Berg", ["Jan"], "van der Berg", "J", undefined],
    ["Jean-Paul Sartre", ["Jean-Paul"], "Sartre", "JP", undefined],
    ["J.-P. Sartre", ["J.-P."], "Sartre", "JP", undefined],
    ["SARTRE J-P", ["J.-P."], "Sartre", "JP", undefined],
    ["KNUTH DE", ["D.", "E."], "Knuth", "DE", undefined],
    ["Martin Luther King Jr.", ["Martin", "Luther"], "King", "ML", "Jr."],
    ["King, Martin Luther, Jr.", ["Martin", "Luther"], "King", "ML", "Jr."],
    ["Henry Ford III", ["Henry"], "Ford", "H", "III"],
    ["Ludwig van Beethoven", ["Ludwig"], "van Beethoven", "L", undefined],
    ["M. Skłodowska-Curie", ["M."], "Skłodowska-Curie", "M", undefined],
    ["Prof. Dr. Emmy Noether", ["Emmy"], "Noether", "E", undefined],
    ["Plato", [], "Plato", "", undefined],
  ] as const)("%s", (raw, given, family, initials, suffix) => {
    const parsed = parseName(raw);
    expect(parsed.given).toEqual(given);
    expect(parsed.family).toBe(family);
    expect(parsed.initials).toBe(initials);
    expect(parsed.suffix).toBe(suffix);
  });

  it("keeps accents for display and folds them for keys", () => {
    expect(formatName(parseName("Erdős, Pál"))).toBe("Pál Erdős");
    expect(canonicalKey("Erdős, Pál")).toBe("erdos|p");
    expect(canonicalKey("Łukasiewicz, Jan")).toBe("lukasiewicz|j");
    expect(canonicalKey("de la Cruz, María")).toBe("de la cruz|m");
    expect(canonicalKey("Gödel, Kurt")).toBe(canonicalKey("K. Godel"));
    // Composed and decomposed Unicode give the same key.
    expect(canonicalKey("Erdo\u030bs, P.")).toBe("erdos|p");
  });

  it("returns an empty name for blank input", () => {
    expect(parseName("   ")).toEqual({ given: [], family: "", initials: "" });
  });
});

describe("isSamePerson", () => {
  it.each([
    ["Knuth, Donald E.", "D. E. Knuth"],
    ["Donald Knuth", "KNUTH DE"],
    ["Turing, A. M.", "Alan Turing"],
    ["Turing AM", "Alan M. Turing"],
    ["Jean-Paul Sartre", "J.-P. Sartre"],
    ["Sartre, J.", "Jean-Paul Sartre"],
    ["Marie Curie", "Curie, M."],
    ["van der Berg, Jan", "J. van der Berg"],
    ["Gödel, Kurt", "Kurt Godel"],
    ["King, Martin Luther, Jr.", "Martin Luther King"],
  ])("%s = %s", (a, b) => {
    expect(isSamePerson(a, b)).toBe(true);
    expect(isSamePerson(b, a)).toBe(true);
  });

  it.each([
    ["Smith, John", "Smith, Jane"],
    ["Li, Wei", "Li, Wen"],
    ["Geoffrey E. Hinton", "Geoffrey F. Hinton"], // conflicting middle initials
    ["J.-P. Sartre", "John Sartre"], // a hyphenated initial needs a hyphenated name
    ["Marie Curie", "Pierre Curie"],
    ["Marie Curie", "M. Skłodowska-Curie"], // different family strings: not guessed (see docs)
    ["Martin Luther King Jr.", "Martin Luther King Sr."],
    ["Martin Luther", "Martin Luther King"],
    ["", ""],
  ])("%s ≠ %s", (a, b) => {
    expect(isSamePerson(a, b)).toBe(false);
  });
});

describe("clusterAuthors", () => {
  const clusterOf = (clusters: ReturnType<typeof clusterAuthors>, variant: string) =>
    clusters.find((c) => c.variants.includes(variant));

  it("merges the four forms of one name into one canonical author", () => {
    const clusters = clusterAuthors(["Smith, John", "J. Smith", "John Smith", "SMITH J"]);
    expect(clusters).toEqual([
      { canonical: "John Smith", key: "smith|j", identity: "smith|john", variants: ["Smith, John", "J. Smith", "John Smith", "SMITH J"] },
    ]);
  });

  it("keeps John and Jane apart, and does not guess whom the bare initial means", () => {
    const clusters = clusterAuthors(["Smith, John", "J. Smith", "Jane Smith", "SMITH J", "John Smith"]);
    expect(clusters).toHaveLength(3);
    expect(clusterOf(clusters, "Smith, John")!.variants).toEqual(["Smith, John", "John Smith"]);
    expect(clusterOf(clusters, "Jane Smith")!.variants).toEqual(["Jane Smith"]);
    expect(clusterOf(clusters, "J. Smith")!.variants).toEqual(["J. Smith", "SMITH J"]);
    expect(new Set(clusters.map((c) => c.identity)).size).toBe(3);
    expect(new Set(clusters.map((c) => c.key))).toEqual(new Set(["smith|j"]));
  });

  it("does not depend on input order", () => {
    const names = ["SMITH J", "Jane Smith", "J. Smith", "John Smith", "Smith, John"];
    const sorted = (cs: ReturnType<typeof clusterAuthors>) => cs.map((c) => [...c.variants].sort()).sort();
    expect(sorted(clusterAuthors(names))).toEqual(sorted(clusterAuthors([...names].reverse())));
  });

  it("clusters a table of real researchers' names as they appear in citations", () => {
    const names = [
      "Knuth, Donald E.", "D. E. Knuth", "Donald Knuth", "KNUTH DE",
      "Turing, A. M.", "Alan Turing", "A. M. Turing", "Turing AM",
      "Marie Curie", "Curie, M.", "CURIE M", "Pierre Curie", "Curie, P.", "M. Skłodowska-Curie",
      "Jean-Paul Sartre", "J.-P. Sartre", "Sartre, Jean-Paul",
      "Erdős, Paul", "P. Erdos", "Paul Erdős",
      "Hinton, Geoffrey E.", "G. E. Hinton", "Geoffrey Hinton",
      "Li, Wei", "Li, Wen", "Li W",
      "van der Berg, Jan", "Jan van der Berg", "J. van der Berg",
      "Martin Luther King Jr.", "King, Martin Luther, Jr.", "Martin Luther",
    ];
    const clusters = clusterAuthors(names);
    const expectGroup = (canonical: string, variants: string[]) => {
      const cluster = clusters.find((c) => c.canonical === canonical);
      expect(cluster, canonical).toBeDefined();
      expect(cluster!.variants).toEqual(variants);
    };
    expectGroup("Donald E. Knuth", ["Knuth, Donald E.", "D. E. Knuth", "Donald Knuth", "KNUTH DE"]);
    expectGroup("Alan M. Turing", ["Turing, A. M.", "Alan Turing", "A. M. Turing", "Turing AM"]);
    expectGroup("Marie Curie", ["Marie Curie", "Curie, M.", "CURIE M"]);
    expectGroup("Pierre Curie", ["Pierre Curie", "Curie, P."]);
    expectGroup("M. Skłodowska-Curie", ["M. Skłodowska-Curie"]);
    expectGroup("Jean-Paul Sartre", ["Jean-Paul Sartre", "J.-P. Sartre", "Sartre, Jean-Paul"]);
    expectGroup("Paul Erdős", ["Erdős, Paul", "P. Erdos", "Paul Erdős"]);
    expectGroup("Geoffrey E. Hinton", ["Hinton, Geoffrey E.", "G. E. Hinton", "Geoffrey Hinton"]);
    expectGroup("Wei Li", ["Li, Wei"]);
    expectGroup("Wen Li", ["Li, Wen"]);
    expectGroup("W. Li", ["Li W"]);
    expectGroup("Jan van der Berg", ["van der Berg, Jan", "Jan van der Berg", "J. van der Berg"]);
    expectGroup("Martin Luther King Jr.", ["Martin Luther King Jr.", "King, Martin Luther, Jr."]);
    expectGroup("Martin Luther", ["Martin Luther"]);
    expect(clusters).toHaveLength(14);
    expect(clusters.flatMap((c) => c.variants).sort()).toEqual([...names].sort());
  });

  it("ignores blank names and duplicates", () => {
    const clusters = clusterAuthors(["", "  ", "Ada Lovelace", "Ada Lovelace", " Lovelace, A. "]);
    expect(clusters).toEqual([
      { canonical: "Ada Lovelace", key: "lovelace|a", identity: "lovelace|ada", variants: ["Ada Lovelace", "Lovelace, A."] },
    ]);
  });
});
