/**
 * Classifier retraining (requirement 6.3, 1st of each month 00:00 UTC).
 *
 * Retrains on the current labelled examples (seed corpus + manual labels) only
 * when they changed, stores every trained version, and switches to the new
 * one only if its held-out accuracy does not drop.
 *
 * "Does not drop" must compare like with like. The active model learned from
 * every one of its examples, so scoring it on any split of today's examples
 * would test it partly on its own training data and it would always win.
 * Instead both label sets go through the same trainer on the SAME split of
 * today's examples: the candidate learns from the training part, the
 * incumbent from the training part restricted to the examples it knew
 * (its `label_keys`), and both are scored on the same held-out part. What
 * differs is only the labels, which is the question retraining asks.
 */
import { desc, eq, max } from "drizzle-orm";
import { classifierModels } from "../adapters/libsql/schema";
import { activeModel, forgetLoadedModel, labelledExamples, trainVersion } from "../app/classifierModels";
import { writeWithEvents } from "../app/unitOfWork";
import { evaluate, holdOutSplit, labelsFingerprint, serialize, train, type LabelledExample } from "../domain/classifier";
import { seedExamples } from "../domain/taxonomySeed";
import { newId, sha256 } from "../util/ids";
import type { JobDefinition } from "./types";
import type { AppContext } from "../app/context";
import { refreshTagSuggestions } from "../app/tags";

/** Identifies an example as `labelsFingerprint` does: category and a hash of the NFC text. */
export function labelKey(example: LabelledExample): string {
  return `${example.category}\u0000${sha256(example.text.normalize("NFC"))}`;
}

type ModelRow = typeof classifierModels.$inferSelect;

/**
 * The incumbent's label keys: stored with the version, or, for a version
 * trained before they were stored, the seed corpus when its fingerprint
 * proves that is exactly what it learned from (the bootstrap version 1).
 */
async function incumbentKeys(row: ModelRow): Promise<Set<string> | undefined> {
  if (row.labelKeys) return new Set(row.labelKeys);
  const seed = await seedExamples();
  if (labelsFingerprint(seed) === row.labelsFingerprint) return new Set(seed.map(labelKey));
  return undefined;
}

export interface Comparison {
  incumbentAccuracy: number;
  /** `same-split`: both retrained and scored on one split; `stored-accuracy`: the incumbent's label set is unknown, its recorded accuracy stands in. */
  method: "same-split" | "stored-accuracy";
}

/** Held-out accuracy of the incumbent's label set on the candidate's split. */
export async function incumbentAccuracy(examples: readonly LabelledExample[], incumbent: ModelRow): Promise<Comparison> {
  const keys = await incumbentKeys(incumbent);
  if (keys) {
    const { training, heldOut } = holdOutSplit(examples);
    const known = training.filter((e) => keys.has(labelKey(e)));
    // One category cannot be a classifier; then the recorded figure is the best we have.
    if (new Set(known.map((e) => e.category)).size >= 2 && heldOut.length > 0) {
      return { incumbentAccuracy: evaluate(train(known), heldOut).accuracy, method: "same-split" };
    }
  }
  return { incumbentAccuracy: incumbent.accuracy, method: "stored-accuracy" };
}

export const classifierRetrainingJob: JobDefinition = {
  name: "classifier-retraining",
  async run(app) {
    // People's own tags learn from their decisions on every run (recorded like a tag-suggestions task
    // run, so it covers the requests made before it); the taxonomy model below only when its labels changed.
    const { summary: tags } = await refreshTagSuggestions(app, "job", `job:classifier-retraining:${newId()}`);
    return { ...(await retrainCategories(app)), tags };
  },
};

async function retrainCategories(app: AppContext): Promise<Record<string, unknown>> {
  // Makes sure a version 1 exists (trained from the seed on first use) so there is something to compare with.
  const active = await activeModel(app);
  const activeRow = await app.store.db.query.classifierModels.findFirst({ where: eq(classifierModels.version, active.version) });
  if (!activeRow) throw new Error(`active classifier version ${active.version} vanished`);

  const examples = await labelledExamples(app);
  const fingerprint = labelsFingerprint(examples);
  const manualExamples = examples.length - (await seedExamples()).length;
  if (activeRow.labelsFingerprint === fingerprint) {
    return { skipped: true, reason: "labels unchanged since the active version", activeVersion: activeRow.version, examples: examples.length, manualExamples };
  }
  // Training is deterministic: the same labels would give the same model, already judged once.
  const judged = await app.store.db.query.classifierModels.findFirst({ where: eq(classifierModels.labelsFingerprint, fingerprint), orderBy: desc(classifierModels.version) });
  if (judged) {
    return { skipped: true, reason: `these labels were already trained and judged as version ${judged.version}`, activeVersion: activeRow.version, examples: examples.length, manualExamples };
  }

  const candidate = trainVersion(examples, 0);
  const comparison = await incumbentAccuracy(examples, activeRow);
  // Equal accuracy switches: the new version has seen more labels for the same held-out result.
  const activated = candidate.accuracy >= comparison.incumbentAccuracy;
  const keys = examples.map(labelKey);

  const version = await writeWithEvents(app, `job:classifier-retraining:${newId()}`, async (tx, emit) => {
    // Numbered inside the transaction: two concurrent runs cannot pick the same version.
    const [top] = await tx.select({ v: max(classifierModels.version) }).from(classifierModels);
    const next = (top?.v ?? 0) + 1;
    if (activated) await tx.update(classifierModels).set({ active: false }).where(eq(classifierModels.active, true));
    await tx.insert(classifierModels).values({
      version: next,
      trainedAt: new Date().toISOString(),
      labelsFingerprint: candidate.fingerprint,
      accuracy: candidate.accuracy,
      examples: candidate.examples,
      model: serialize(candidate.model),
      active: activated,
      labelKeys: keys,
    });
    emit("classification.model_retrained", { version: next, accuracy: candidate.accuracy, activated });
    return next;
  });
  // This process's cached model is the old one; other processes compare versions on every use.
  if (activated) forgetLoadedModel();

  return {
    skipped: false,
    version,
    accuracy: candidate.accuracy,
    activated,
    previousVersion: activeRow.version,
    previousAccuracy: comparison.incumbentAccuracy,
    comparison: comparison.method,
    examples: examples.length,
    manualExamples,
  };
}
