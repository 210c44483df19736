import { describe, expect, it } from "vitest";
import { buildSeedModelFile, shippedSeedModel } from "@shared/app/seedModel";
import { deserialize, labelsFingerprint, predict } from "@shared/domain/classifier";
import { seedExamples } from "@shared/domain/taxonomySeed";

describe("the shipped seed model (shared/data/seed-model.json)", () => {
  it("is what training on the current seed corpus with the current trainer produces (run `npm run train-seed` if not)", async () => {
    const shipped = await shippedSeedModel();
    expect(shipped.fingerprint).toBe(labelsFingerprint(await seedExamples()));
    expect(await buildSeedModelFile()).toEqual(shipped);
  });

  it("loads and classifies", async () => {
    const model = deserialize((await shippedSeedModel()).model);
    const [top] = predict(model, "Enzymes catalyse reactions in the cell; mutations in the gene alter protein folding.", 1);
    expect(top?.category).toBe("life-sciences");
    expect((await shippedSeedModel()).accuracy).toBeGreaterThan(0.75);
  });
});
