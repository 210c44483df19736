/**
 * Classifier model versions in the store. The first use trains version 1 from
 * the seed corpus plus manual labels; the retraining job adds versions and
 * switches only when held-out accuracy does not drop. Loaded models are kept
 * per process, keyed by version.
 */
import { desc, eq } from "drizzle-orm";
import { categories, classifierModels, resources } from "../adapters/libsql/schema";
import { deserialize, evaluate, holdOutSplit, labelsFingerprint, serialize, train, type ClassifierModel, type LabelledExample } from "../domain/classifier";
import { seedExamples } from "../domain/taxonomySeed";
import type { AppContext } from "./context";
import { shippedSeedModel } from "./seedModel";

let loaded: { version: number; model: ClassifierModel } | undefined;

/** Seed corpus + resources a person labelled (`manual` categories). */
export async function labelledExamples(ctx: AppContext): Promise<LabelledExample[]> {
  const manual = await ctx.store.db
    .select({ text: resources.content, title: resources.title, category: categories.category })
    .from(categories)
    .innerJoin(resources, eq(resources.id, categories.resourceId))
    .where(eq(categories.source, "manual"));
  return [
    ...(await seedExamples()),
    ...manual.filter((m) => m.text).map((m) => ({ text: `${m.title ?? ""}\n${m.text ?? ""}`, category: m.category })),
  ];
}

export interface TrainedVersion {
  version: number;
  accuracy: number;
  examples: number;
  fingerprint: string;
  model: ClassifierModel;
}

export function trainVersion(examples: LabelledExample[], version: number): TrainedVersion {
  const { training, heldOut } = holdOutSplit(examples);
  const candidate = train(training);
  const accuracy = evaluate(candidate, heldOut).accuracy;
  // The served model learns from every example; held-out accuracy is measured before that.
  return { version, accuracy, examples: examples.length, fingerprint: labelsFingerprint(examples), model: train(examples) };
}

/** The prebuilt seed model, when the labels are exactly the seed corpus and the trainer is current. */
async function fromShippedSeed(examples: LabelledExample[], version: number): Promise<TrainedVersion | undefined> {
  const seed = await shippedSeedModel();
  if (seed.fingerprint !== labelsFingerprint(examples)) return undefined;
  try {
    return { version, accuracy: seed.accuracy, examples: seed.examples, fingerprint: seed.fingerprint, model: deserialize(seed.model) };
  } catch {
    return undefined; // built by another trainer version: train now
  }
}

let inflight: Promise<{ version: number; model: ClassifierModel }> | undefined;

/**
 * The model classification uses. Concurrent callers share one load: training
 * is CPU-bound and blocks the event loop, so it must happen once, not once per
 * task in the first batch.
 */
export function activeModel(ctx: AppContext): Promise<{ version: number; model: ClassifierModel }> {
  inflight ??= loadActiveModel(ctx).finally(() => (inflight = undefined));
  return inflight;
}

async function loadActiveModel(ctx: AppContext): Promise<{ version: number; model: ClassifierModel }> {
  const row = await ctx.store.db.query.classifierModels.findFirst({ where: eq(classifierModels.active, true), orderBy: desc(classifierModels.version) });
  if (row) {
    if (loaded?.version === row.version) return loaded;
    try {
      loaded = { version: row.version, model: deserialize(row.model) };
      return loaded;
    } catch {
      // Stored by an older trainer: train a new version below rather than fail every classification.
    }
  }
  const version = (row?.version ?? 0) + 1;
  const examples = await labelledExamples(ctx);
  const trained = (await fromShippedSeed(examples, version)) ?? trainVersion(examples, version);
  await ctx.store.write(async (tx) => {
    if (row) await tx.update(classifierModels).set({ active: false }).where(eq(classifierModels.version, row.version));
    await tx
      .insert(classifierModels)
      .values({
        version,
        trainedAt: new Date().toISOString(),
        labelsFingerprint: trained.fingerprint,
        accuracy: trained.accuracy,
        examples: trained.examples,
        model: serialize(trained.model),
        active: true,
      })
      .onConflictDoNothing();
  });
  loaded = { version, model: trained.model };
  return loaded;
}

export function forgetLoadedModel(): void {
  loaded = undefined;
}
