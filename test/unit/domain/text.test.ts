import { describe, expect, it } from "vitest";
import { foldAccents, lightStem, tokenize } from "@shared/domain/text";
import { cosineSimilarity, emptyTextVector, l2Norm, l2NormalizeInPlace } from "@shared/domain/vectors";

describe("tokenize", () => {
  it("lowercases and keeps Unicode letters and digits only", () => {
    expect(tokenize("Hello, World! GPT-4 costs $20.")).toEqual(["hello", "world", "gpt", "4", "costs", "20"]);
    expect(tokenize("Ærøskøbing, Łódź, 東京 und São Paulo")).toEqual(["ærøskøbing", "łódź", "東京", "und", "são", "paulo"]);
  });

  it("keeps decomposed accents inside the word and joins inner apostrophes", () => {
    expect(tokenize("Cafe\u0301 don't l’homme")).toEqual(["café", "dont", "lhomme"]);
  });

  it("removes English stopwords on request", () => {
    expect(tokenize("The theory of the firm and its limits", { removeStopwords: true })).toEqual([
      "theory",
      "firm",
      "limits",
    ]);
  });

  it("stems lightly on request", () => {
    expect(tokenize("Algorithms computing studies classes", { stem: true })).toEqual([
      "algorithm",
      "comput",
      "study",
      "class",
    ]);
  });
});

describe("lightStem", () => {
  it.each([
    ["algorithms", "algorithm"],
    ["studies", "study"],
    ["boxes", "box"],
    ["running", "run"],
    ["calling", "call"],
    ["computed", "comput"],
    ["embed", "embed"],
    ["analysis", "analysis"],
    ["class", "class"],
    ["gas", "gas"],
    ["string", "string"],
    ["naïve", "naïve"],
  ])("%s -> %s", (word, stem) => expect(lightStem(word)).toBe(stem));
});

describe("foldAccents", () => {
  it("removes diacritics, including letters NFD does not decompose", () => {
    expect(foldAccents("Erdős Skłodowska Ørsted Straße Gödel")).toBe("Erdos Sklodowska Orsted Strasse Godel");
  });
});

describe("vectors", () => {
  it("normalises, and treats zero vectors as dissimilar rather than NaN", () => {
    const v = l2NormalizeInPlace(new Float32Array([3, 4]));
    expect(Array.from(v)).toEqual([0.6000000238418579, 0.800000011920929]);
    expect(cosineSimilarity(new Float32Array(2), v)).toBe(0);
    expect(cosineSimilarity(new Float32Array(3), v)).toBe(0);
    expect(l2Norm(emptyTextVector(512))).toBeCloseTo(1, 6);
  });
});
