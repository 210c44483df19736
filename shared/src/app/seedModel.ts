/**
 * The classifier trained on the seed corpus, shipped prebuilt in
 * shared/data/seed-model.json. Training is CPU-bound (seconds) and would block
 * the event loop of the first process that classifies; while the labels are
 * exactly the seed corpus, that work was already done at build time.
 * `npm run train-seed` rebuilds the file; a test fails when it is stale.
 */
import * as z from "zod";
import { holdOutSplit, evaluate, labelsFingerprint, serialize, train } from "../domain/classifier";
import { seedExamples } from "../domain/taxonomySeed";

const fileSchema = z.object({ fingerprint: z.string(), accuracy: z.number(), examples: z.number().int(), model: z.string() });
export type SeedModelFile = z.infer<typeof fileSchema>;

/**
 * Loaded on first use (260 kB): a Lambda bundle keeps it in a chunk of its own, so only the process
 * that trains its first classifier version reads and compiles it, not every cold start.
 */
export async function shippedSeedModel(): Promise<SeedModelFile> {
  const { default: shipped } = await import("../../data/seed-model.json", { with: { type: "json" } });
  return fileSchema.parse(shipped);
}

/** What `npm run train-seed` writes: the same training `trainVersion` does, done once. */
export async function buildSeedModelFile(): Promise<SeedModelFile> {
  const examples = await seedExamples();
  const { training, heldOut } = holdOutSplit(examples);
  const accuracy = evaluate(train(training), heldOut).accuracy;
  return { fingerprint: labelsFingerprint(examples), accuracy, examples: examples.length, model: serialize(train(examples)) };
}
