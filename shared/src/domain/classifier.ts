import { createHash } from "node:crypto";
import * as z from "zod";
import { tokenize } from "./text";

/**
 * Subject classifier: multinomial Naive Bayes with additive (Laplace/Lidstone)
 * smoothing over two kinds of features: stemmed, stopword-free words and the
 * character 4-grams of those words, weighted by sublinear term frequency
 * (1 + ln tf).
 *
 * Why NB rather than logistic regression on tf-idf: the labelled set is small
 * (tens of examples per class at first), where generative models reach their
 * asymptotic error with far fewer examples (Ng & Jordan, 2002); training is a
 * single counting pass with no learning rate, iterations or random seed, so a
 * model is an exact function of its labels; and the model is a table of
 * counts that serialises compactly and can be inspected. Binarising counts
 * within a document stops one repeated word from dominating, which helps NB
 * on text (Metsis et al., 2006; Wang & Manning, 2012). Details and measured
 * accuracy: docs/classification.md.
 */

/** Bump when features or training change: it is part of {@link labelsFingerprint}. */
export const TRAINER_VERSION = "mnb-logtf-word-char4-v1";
const MODEL_FORMAT = "multinomial-naive-bayes/1";
/** Additive smoothing; 0.3 beat 0.1, 0.5 and 1 (Laplace) in cross-validation. */
const SMOOTHING_ALPHA = 0.3;
const CHAR_GRAM = 4;
const CALIBRATION_FOLDS = 5;

export interface LabelledExample {
  text: string;
  category: string;
}

export interface Prediction {
  category: string;
  /** Calibrated-ish probability in 0..1; the confidences of all categories sum to 1. */
  confidence: number;
}

/** A trained model: plain, JSON-shaped data (see {@link serialize}). */
export interface ClassifierModel {
  format: typeof MODEL_FORMAT;
  trainerVersion: string;
  alpha: number;
  /** Confidence sharpness, fitted by cross-validation (see {@link fitConfidenceScale}). */
  confidenceScale: number;
  /** Sorted category ids. */
  categories: string[];
  /** Training documents per category (the prior). */
  documents: number[];
  /** Sorted vocabulary. */
  vocabulary: string[];
  /** Per category, sparse summed feature weights flattened as [termIndex, weight, termIndex, weight, ...]. */
  termCounts: number[][];
}

export interface CategoryEvaluation {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  accuracy: number;
  macroF1: number;
  /** Mean negative log of the confidence given to the true category (lower is better). */
  logLoss: number;
  count: number;
  perCategory: Record<string, CategoryEvaluation>;
}

/**
 * The weighted features of a text: each stemmed content word ("w:" prefix) and
 * each character 4-gram of it with "<" ">" word boundaries ("c:" prefix),
 * weighted 1 + ln(tf) and rounded so serialised models stay short and stable.
 */
export function features(text: string): Map<string, number> {
  const words = tokenize(text, { removeStopwords: true, stem: true, minLength: 2 }).filter((t) => /\p{L}/u.test(t));
  const tf = new Map<string, number>();
  const add = (f: string) => tf.set(f, (tf.get(f) ?? 0) + 1);
  for (const word of words) {
    add(`w:${word}`);
    for (const gram of characterGrams(`<${word}>`)) add(`c:${gram}`);
  }
  const weighted = new Map<string, number>();
  for (const [f, n] of tf) weighted.set(f, roundWeight(1 + Math.log(n)));
  return weighted;
}

function characterGrams(word: string): string[] {
  const grams: string[] = [];
  // Slicing code units is only safe without surrogate pairs; otherwise split by code point.
  if (!/[\uD800-\uDFFF]/.test(word)) {
    for (let i = 0; i + CHAR_GRAM <= word.length; i++) grams.push(word.slice(i, i + CHAR_GRAM));
    return grams;
  }
  const chars = [...word];
  for (let i = 0; i + CHAR_GRAM <= chars.length; i++) grams.push(chars.slice(i, i + CHAR_GRAM).join(""));
  return grams;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function roundWeight(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

// ---------------------------------------------------------------- training

/** A labelled example with its features extracted once (training reuses them across folds). */
interface Featurised {
  category: string;
  features: Map<string, number>;
}

/**
 * Trains a model. The result depends only on the multiset of examples, not on
 * their order (they are put in a canonical order first), so equal
 * {@link labelsFingerprint}s always give equal models.
 */
export function train(examples: readonly LabelledExample[]): ClassifierModel {
  const canonical = [...examples].sort(
    (a, b) => compareStrings(a.category, b.category) || compareStrings(a.text, b.text),
  );
  const featurised = featurise(canonical);
  const model = countModel(featurised);
  model.confidenceScale = fitScale(featurised);
  return model;
}

function featurise(examples: readonly LabelledExample[]): Featurised[] {
  return examples.map((e) => ({ category: e.category, features: features(e.text) }));
}

function countModel(examples: readonly Featurised[]): ClassifierModel {
  if (examples.length === 0) throw new Error("Cannot train a classifier on no examples");
  const categories = [...new Set(examples.map((e) => e.category))].sort();
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const documents = categories.map(() => 0);
  const counts = categories.map(() => new Map<string, number>());
  const vocabulary = new Set<string>();
  for (const example of examples) {
    const c = categoryIndex.get(example.category)!;
    documents[c]!++;
    for (const [term, weight] of example.features) {
      vocabulary.add(term);
      counts[c]!.set(term, roundWeight((counts[c]!.get(term) ?? 0) + weight));
    }
  }
  const sortedVocabulary = [...vocabulary].sort();
  // Walking the sorted vocabulary emits each category's pairs already in index order.
  const termCounts = counts.map(() => [] as number[]);
  sortedVocabulary.forEach((term, index) => {
    counts.forEach((perTerm, c) => {
      const n = perTerm.get(term);
      if (n !== undefined) termCounts[c]!.push(index, n);
    });
  });
  return {
    format: MODEL_FORMAT,
    trainerVersion: TRAINER_VERSION,
    alpha: SMOOTHING_ALPHA,
    confidenceScale: 1,
    categories,
    documents,
    vocabulary: sortedVocabulary,
    termCounts,
  };
}

/**
 * Naive Bayes log-posteriors grow linearly with the number of words, because
 * the model treats correlated words as independent evidence; raw softmax gives
 * 0.9999 to almost everything. Confidences use
 *   softmax( scale · logJoint / sqrt(n) )
 * with n the total weight of known features: longer texts still earn more confidence,
 * but sub-linearly. `scale` is chosen on out-of-fold predictions (5-fold
 * cross-validation over the training set) to minimise log loss: a one-
 * parameter temperature scaling (Guo et al., 2017).
 */
export function fitConfidenceScale(examples: readonly LabelledExample[], folds = CALIBRATION_FOLDS): number {
  return fitScale(featurise(examples), folds);
}

function fitScale(examples: readonly Featurised[], folds = CALIBRATION_FOLDS): number {
  const categories = new Set(examples.map((e) => e.category));
  if (categories.size < 2 || examples.length < folds * 2) return 1;
  const outOfFold: { joint: number[]; known: number; truth: number }[] = [];
  for (let fold = 0; fold < folds; fold++) {
    const trainSet = examples.filter((_, i) => i % folds !== fold);
    const testSet = examples.filter((_, i) => i % folds === fold);
    const model = countModel(trainSet);
    for (const example of testSet) {
      const truth = model.categories.indexOf(example.category);
      if (truth < 0) continue; // category absent from this fold's training data
      const { joint, known } = jointLogScores(model, example.features);
      outOfFold.push({ joint, known, truth });
    }
  }
  if (outOfFold.length === 0) return 1;
  let best = { scale: 1, loss: Number.POSITIVE_INFINITY };
  // A log-spaced grid from 1/64 to 16 is plenty for one parameter.
  for (let k = -24; k <= 16; k++) {
    const scale = 2 ** (k / 4);
    let loss = 0;
    for (const o of outOfFold) {
      const probabilities = softmax(o.joint.map((s) => (scale * s) / Math.sqrt(Math.max(1, o.known))));
      loss -= Math.log(Math.max(1e-12, probabilities[o.truth]!));
    }
    if (loss < best.loss) best = { scale, loss };
  }
  return best.scale;
}

// ---------------------------------------------------------------- prediction

interface CompiledModel {
  logPriors: number[];
  /** term -> log P(term | category) for every category */
  logLikelihoods: Map<string, Float64Array>;
}
// Compiled lazily and cached per model object: predict() is called per resource.
const compiledModels = new WeakMap<ClassifierModel, CompiledModel>();

function compile(model: ClassifierModel): CompiledModel {
  const cached = compiledModels.get(model);
  if (cached) return cached;
  const k = model.categories.length;
  const v = model.vocabulary.length;
  const totalDocuments = model.documents.reduce((s, n) => s + n, 0);
  const logPriors = model.documents.map((n) => Math.log(n / totalDocuments));
  const totals = model.termCounts.map((pairs) => pairs.reduce((s, x, i) => (i % 2 === 1 ? s + x : s), 0));
  const logLikelihoods = new Map<string, Float64Array>();
  model.vocabulary.forEach((term) => {
    const row = new Float64Array(k);
    for (let c = 0; c < k; c++) row[c] = Math.log(model.alpha / (totals[c]! + model.alpha * v));
    logLikelihoods.set(term, row);
  });
  model.termCounts.forEach((pairs, c) => {
    for (let i = 0; i < pairs.length; i += 2) {
      const row = logLikelihoods.get(model.vocabulary[pairs[i]!]!)!;
      row[c] = Math.log((pairs[i + 1]! + model.alpha) / (totals[c]! + model.alpha * v));
    }
  });
  const compiled = { logPriors, logLikelihoods };
  compiledModels.set(model, compiled);
  return compiled;
}

/** log P(category) + Σ weight · log P(term | category) over the text's known features. */
function jointLogScores(model: ClassifierModel, textFeatures: Map<string, number>): { joint: number[]; known: number } {
  const { logPriors, logLikelihoods } = compile(model);
  const joint = [...logPriors];
  let known = 0;
  for (const [term, weight] of textFeatures) {
    const row = logLikelihoods.get(term);
    if (!row) continue; // features never seen in training carry no evidence
    known += weight;
    for (let c = 0; c < joint.length; c++) joint[c]! += weight * row[c]!;
  }
  return { joint, known };
}

/** Every category's confidence, summing to 1. */
export function probabilities(model: ClassifierModel, text: string): Prediction[] {
  const { joint, known } = jointLogScores(model, features(text));
  const logits = joint.map((s) => (model.confidenceScale * s) / Math.sqrt(Math.max(1, known)));
  const p = softmax(logits);
  return model.categories.map((category, i) => ({ category, confidence: p[i]! }));
}

/** The `k` most likely categories, most confident first (ties by id, so output is deterministic). */
export function predict(model: ClassifierModel, text: string, k = 3): Prediction[] {
  return probabilities(model, text).sort(byConfidence).slice(0, Math.max(0, k));
}

function byConfidence(a: Prediction, b: Prediction): number {
  return b.confidence - a.confidence || a.category.localeCompare(b.category);
}

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const sum = exps.reduce((s, x) => s + x, 0);
  return exps.map((x) => x / sum);
}

// ---------------------------------------------------------------- evaluation

export function evaluate(model: ClassifierModel, heldOut: readonly LabelledExample[]): Evaluation {
  const categories = [...new Set([...model.categories, ...heldOut.map((e) => e.category)])].sort();
  const tally = new Map(categories.map((c) => [c, { tp: 0, fp: 0, fn: 0, support: 0 }]));
  let correct = 0;
  let logLoss = 0;
  for (const example of heldOut) {
    const all = probabilities(model, example.text);
    const top = [...all].sort(byConfidence)[0];
    const truth = tally.get(example.category)!;
    truth.support++;
    if (top?.category === example.category) {
      correct++;
      truth.tp++;
    } else {
      truth.fn++;
      if (top) tally.get(top.category)!.fp++;
    }
    const pTrue = all.find((p) => p.category === example.category)?.confidence ?? 0;
    logLoss -= Math.log(Math.max(1e-12, pTrue));
  }
  const perCategory: Record<string, CategoryEvaluation> = {};
  for (const [category, t] of tally) {
    const precision = t.tp + t.fp === 0 ? 0 : t.tp / (t.tp + t.fp);
    const recall = t.support === 0 ? 0 : t.tp / t.support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perCategory[category] = { precision, recall, f1, support: t.support };
  }
  const withSupport = Object.values(perCategory).filter((c) => c.support > 0);
  return {
    accuracy: heldOut.length === 0 ? 0 : correct / heldOut.length,
    macroF1: withSupport.length === 0 ? 0 : withSupport.reduce((s, c) => s + c.f1, 0) / withSupport.length,
    logLoss: heldOut.length === 0 ? 0 : logLoss / heldOut.length,
    count: heldOut.length,
    perCategory,
  };
}

/**
 * A stable, stratified hold-out split: within each category, examples are
 * ordered by a hash of their text and every `every`-th goes to `heldOut`.
 * An example keeps its side when other examples are added, so a retrained
 * model and the current one are compared on mostly the same held-out data.
 */
export function holdOutSplit(
  examples: readonly LabelledExample[],
  every = 5,
): { training: LabelledExample[]; heldOut: LabelledExample[] } {
  const training: LabelledExample[] = [];
  const heldOut: LabelledExample[] = [];
  const byCategory = new Map<string, LabelledExample[]>();
  for (const e of examples) byCategory.set(e.category, [...(byCategory.get(e.category) ?? []), e]);
  for (const category of [...byCategory.keys()].sort()) {
    const ordered = [...byCategory.get(category)!].sort((a, b) => sha256(a.text).localeCompare(sha256(b.text)));
    ordered.forEach((e, i) => ((i + 1) % every === 0 ? heldOut : training).push(e));
  }
  return { training, heldOut };
}

// ---------------------------------------------------------------- persistence

/**
 * Identifies a set of labels independently of their order, together with the
 * trainer version: equal fingerprints mean retraining would produce the same
 * model, so the retraining job can skip it.
 */
export function labelsFingerprint(examples: readonly LabelledExample[]): string {
  const lines = examples.map((e) => `${e.category}\u0000${sha256(e.text.normalize("NFC"))}`).sort();
  return sha256(`${TRAINER_VERSION}\n${lines.join("\n")}`);
}

/** Compact JSON with a fixed key order: the same model always serialises to the same string. */
export function serialize(model: ClassifierModel): string {
  const ordered: ClassifierModel = {
    format: model.format,
    trainerVersion: model.trainerVersion,
    alpha: model.alpha,
    confidenceScale: model.confidenceScale,
    categories: model.categories,
    documents: model.documents,
    vocabulary: model.vocabulary,
    termCounts: model.termCounts,
  };
  return JSON.stringify(ordered);
}

const modelSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    trainerVersion: z.string(),
    alpha: z.number().positive(),
    confidenceScale: z.number().positive(),
    categories: z.array(z.string()).min(1),
    documents: z.array(z.number().int().positive()),
    vocabulary: z.array(z.string()),
    termCounts: z.array(z.array(z.number().nonnegative())),
  })
  .refine((m) => m.documents.length === m.categories.length && m.termCounts.length === m.categories.length, {
    message: "documents and termCounts need one entry per category",
  })
  .refine((m) => m.termCounts.every((pairs) => pairs.length % 2 === 0 && pairs.every((x, i) => i % 2 === 1 || (Number.isInteger(x) && x < m.vocabulary.length))), {
    message: "termCounts must be [termIndex, count] pairs within the vocabulary",
  });

/**
 * Parses and validates a serialised model; throws on anything malformed, and
 * on a model from another trainer version: its vocabulary was built by other
 * feature extraction, so its predictions here would be silently wrong.
 * Callers retrain when that happens ({@link isCurrentTrainer} to check first).
 */
export function deserialize(json: string): ClassifierModel {
  const parsed = modelSchema.safeParse(JSON.parse(json));
  if (!parsed.success) throw new Error(`Invalid classifier model: ${parsed.error.message}`);
  if (!isCurrentTrainer(parsed.data)) {
    throw new Error(`Classifier model from trainer ${parsed.data.trainerVersion}; this code needs ${TRAINER_VERSION}: retrain`);
  }
  return parsed.data;
}

export function isCurrentTrainer(model: Pick<ClassifierModel, "trainerVersion">): boolean {
  return model.trainerVersion === TRAINER_VERSION;
}

function sha256(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
