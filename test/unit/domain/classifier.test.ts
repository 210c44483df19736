import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  deserialize,
  evaluate,
  holdOutSplit,
  labelsFingerprint,
  predict,
  probabilities,
  serialize,
  train,
} from "@shared/domain/classifier";
import type { LabelledExample } from "@shared/domain/classifier";
import { seedExamples } from "@shared/domain/taxonomySeed";
import { CATEGORY_IDS } from "@shared/domain/taxonomy";
import { seededRandom } from "../../helpers/seededRandom";

const corpus = await seedExamples();
const { training, heldOut } = holdOutSplit(corpus);
const model = train(training);

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Training runs a 5-fold calibration inside; allow for a loaded CI machine. */
const TRAINING_TIMEOUT_MS = 30_000;

describe("seed corpus", () => {
  it("has at least 25 distinct passages for every taxonomy category", () => {
    for (const id of CATEGORY_IDS) {
      const texts = corpus.filter((e) => e.category === id).map((e) => e.text);
      expect(new Set(texts).size, id).toBeGreaterThanOrEqual(25);
    }
    expect(new Set(corpus.map((e) => e.text)).size).toBe(corpus.length);
  });

  it("holds out a stratified fifth of every category, disjoint from training", () => {
    expect(heldOut.length).toBe(Math.floor(corpus.length / 5));
    for (const id of CATEGORY_IDS) {
      const n = corpus.filter((e) => e.category === id).length;
      expect(heldOut.filter((e) => e.category === id).length).toBe(Math.floor(n / 5));
    }
    const trainingTexts = new Set(training.map((e) => e.text));
    expect(heldOut.some((e) => trainingTexts.has(e.text))).toBe(false);
  });
});

describe("Naive Bayes subject classifier", () => {
  it("classifies held-out passages far better than chance (8 classes: chance 0.125)", () => {
    const result = evaluate(model, heldOut);
    expect(result.count).toBe(heldOut.length);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.8);
    expect(result.macroF1).toBeGreaterThanOrEqual(0.75);
    // No category is systematically missed.
    for (const id of CATEGORY_IDS) expect(result.perCategory[id]!.recall, id).toBeGreaterThanOrEqual(0.5);
  });

  it("keeps that accuracy across 5-fold cross-validation, not just on one lucky split", { timeout: TRAINING_TIMEOUT_MS }, () => {
    const folds = 5;
    let accuracy = 0;
    for (let k = 0; k < folds; k++) {
      const foldModel = train(corpus.filter((_, i) => i % folds !== k));
      accuracy += evaluate(foldModel, corpus.filter((_, i) => i % folds === k)).accuracy / folds;
    }
    expect(accuracy).toBeGreaterThanOrEqual(0.75);
  });

  it("control: the same pipeline trained on shuffled labels is near chance", { timeout: TRAINING_TIMEOUT_MS }, () => {
    const labels = shuffled(
      training.map((e) => e.category),
      20240601,
    );
    const noise: LabelledExample[] = training.map((e, i) => ({ text: e.text, category: labels[i]! }));
    const result = evaluate(train(noise), heldOut);
    expect(result.accuracy).toBeLessThan(0.35);
    expect(result.accuracy).toBeLessThan(evaluate(model, heldOut).accuracy - 0.4);
  });

  it("predicts the top k categories with confidences in 0..1, most confident first", () => {
    const top = predict(model, "The central bank cut interest rates as unemployment rose and inflation fell.", 3);
    expect(top).toHaveLength(3);
    expect(top[0]!.category).toBe("economics-business");
    for (const p of top) {
      expect(p.confidence).toBeGreaterThanOrEqual(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
    expect(top[0]!.confidence).toBeGreaterThanOrEqual(top[1]!.confidence);
    const total = probabilities(model, "anything at all").reduce((s, p) => s + p.confidence, 0);
    expect(total).toBeCloseTo(1, 10);
    expect(predict(model, "x", 0)).toEqual([]);
  });

  it("is not blindly certain: an ambiguous sentence gets lower confidence than a clear one", () => {
    const clear = predict(model, "Enzymes, proteins and DNA replication inside the cell nucleus.", 1)[0]!;
    const ambiguous = predict(model, "A study of networks.", 1)[0]!;
    expect(clear.category).toBe("life-sciences");
    expect(ambiguous.confidence).toBeLessThan(clear.confidence);
  });

  it("returns the prior when a text has no known words", () => {
    const ps = probabilities(model, "zzzqx vvvqk");
    const spread = Math.max(...ps.map((p) => p.confidence)) - Math.min(...ps.map((p) => p.confidence));
    expect(spread).toBeLessThan(0.01); // the seed corpus is balanced
  });

  it("classifies real software READMEs as software engineering", () => {
    for (const pkg of ["zod", "ioredis", "drizzle-orm"]) {
      const text = readFileSync(new URL(`../../../node_modules/${pkg}/README.md`, import.meta.url), "utf8");
      expect(predict(model, text, 1)[0]!.category, pkg).toBe("software-engineering");
    }
  });
});

describe("model persistence and fingerprints", () => {
  it("round-trips through serialize/deserialize with identical predictions", () => {
    const json = serialize(model);
    const restored = deserialize(json);
    expect(serialize(restored)).toBe(json);
    for (const example of heldOut.slice(0, 10)) {
      expect(predict(restored, example.text, 8)).toEqual(predict(model, example.text, 8));
    }
  });

  it("serialises stably: training order does not change the model", { timeout: TRAINING_TIMEOUT_MS }, () => {
    const reordered = train(shuffled(training, 7));
    expect(serialize(reordered)).toBe(serialize(model));
  });

  it("rejects malformed models", () => {
    expect(() => deserialize("{}")).toThrow(/Invalid classifier model/);
    const broken = JSON.parse(serialize(model)) as { termCounts: number[][] };
    broken.termCounts[0]!.push(999_999, 1);
    expect(() => deserialize(JSON.stringify(broken))).toThrow(/Invalid classifier model/);
    const stale = { ...(JSON.parse(serialize(model)) as object), trainerVersion: "mnb-binary-v0" };
    expect(() => deserialize(JSON.stringify(stale))).toThrow(/retrain/);
  });

  it("fingerprints labels independently of order, and changes when a label changes", () => {
    const fp = labelsFingerprint(training);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(labelsFingerprint(shuffled(training, 3))).toBe(fp);
    const other = CATEGORY_IDS.find((c) => c !== training[0]!.category)!;
    const relabelled = training.map((e, i) => (i === 0 ? { ...e, category: other } : e));
    expect(labelsFingerprint(relabelled)).not.toBe(fp);
    expect(labelsFingerprint([...training, training[0]!])).not.toBe(fp);
  });
});
