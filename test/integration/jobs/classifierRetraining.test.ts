/**
 * Classifier retraining against a real store and the HTTP API: manual labels
 * go in through PUT /resources/{id}/categories; the job skips when labels did
 * not change, trains a new version when they did, keeps every version, and
 * switches only when held-out accuracy does not drop.
 */
import { asc } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classifierModels } from "@shared/adapters/libsql/schema";
import { activeModel } from "@shared/app/classifierModels";
import { seedExamples } from "@shared/domain/taxonomySeed";
import { TAXONOMY } from "@shared/domain/taxonomy";
import { runJob } from "@shared/jobs/registry";
import { api, startTestStack, type TestStack } from "../../helpers/stack";
import { insertResource, outboxEvents } from "./support";

const seed = await seedExamples();

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

async function versions() {
  return stack.app.store.db
    .select({ version: classifierModels.version, active: classifierModels.active, accuracy: classifierModels.accuracy, labelKeys: classifierModels.labelKeys })
    .from(classifierModels)
    .orderBy(asc(classifierModels.version));
}

type Labelled = { id: string; categories: Array<{ category: string; source: string; confidence: number }> };

async function label(id: string, categories: string[]) {
  // Training blocks this process's event loop for seconds, after which the server may close an
  // idle keep-alive socket just as the client reuses it: one connection per request avoids that race.
  return api<Labelled>(stack, "PUT", `/resources/${id}/categories`, { categories }, { connection: "close" });
}

describe("PUT /resources/{id}/categories", () => {
  it("stores manual labels, replaces them on the next call, and validates", async () => {
    const id = await insertResource(stack.app, { content: "A scratch resource." });
    const first = await label(id, ["mathematics", "physical-sciences", "mathematics"]);
    expect(first.status).toBe(200);
    expect(first.body.categories.map((c) => [c.category, c.source, c.confidence]).sort()).toEqual([
      ["mathematics", "manual", 1],
      ["physical-sciences", "manual", 1],
    ]);
    const second = await label(id, []);
    expect(second.body.categories).toEqual([]);
    const resource = await api<{ categories: unknown[] }>(stack, "GET", `/resources/${id}`);
    expect(resource.body.categories).toEqual([]);

    expect((await label(id, ["astrology"])).status).toBe(400);
    expect((await api(stack, "PUT", `/resources/${id}/categories`, { categories: ["mathematics"], extra: 1 })).status).toBe(400);
    expect((await label("00000000-0000-7000-8000-000000000000", ["mathematics"])).status).toBe(404);
  });
});

describe("classifier retraining", () => {
  it("skips when the labels are those of the active version", async () => {
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary).toMatchObject({ skipped: true, activeVersion: 1, manualExamples: 0 });
    expect((await versions()).map((v) => [v.version, v.active])).toEqual([[1, true]]);
  });

  it("trains, compares on the same split and activates when manual labels are added", async () => {
    // Resources a librarian labelled correctly: passages like the seed's, five per category.
    // Fixed ids and titles, because ids are part of the labelled text and so of the split.
    const good = TAXONOMY.flatMap((c) => seed.filter((e) => e.category === c.id).slice(0, 5));
    for (const [i, e] of good.entries()) {
      const id = await insertResource(stack.app, { id: `good-${i}`, title: `Labelled passage ${i}`, content: e.text });
      expect((await label(id, [e.category])).status).toBe(200);
    }
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary).toMatchObject({ skipped: false, version: 2, activated: true, previousVersion: 1, comparison: "same-split", manualExamples: good.length });
    expect(summary.accuracy as number).toBeGreaterThanOrEqual(summary.previousAccuracy as number);

    const stored = await versions();
    expect(stored.map((v) => [v.version, v.active])).toEqual([[1, false], [2, true]]);
    expect(stored[1]!.labelKeys).toHaveLength(seed.length + 40);
    expect((await activeModel(stack.app)).version).toBe(2);
    const events = await outboxEvents(stack.app, "classification.model_retrained");
    expect(events.map((e) => e.payload)).toEqual([{ version: 2, accuracy: summary.accuracy, activated: true }]);
  });

  it("skips again while the labels stay the same", async () => {
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary).toMatchObject({ skipped: true, activeVersion: 2 });
    expect(await versions()).toHaveLength(2);
  });

  it("keeps a version whose accuracy drops, but does not switch to it", async () => {
    // Passages that are plainly mathematics, labelled as arts: a model that learns them gets worse.
    const maths = seed.filter((e) => e.category === "mathematics").slice(0, 30);
    for (const [i, e] of maths.entries()) {
      const id = await insertResource(stack.app, { id: `bad-${i}`, title: `Mislabelled passage ${i}`, content: e.text });
      expect((await label(id, ["arts-humanities"])).status).toBe(200);
    }
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary).toMatchObject({ skipped: false, version: 3, activated: false, previousVersion: 2, comparison: "same-split" });
    expect(summary.accuracy as number).toBeLessThan(summary.previousAccuracy as number);
    expect((await versions()).map((v) => [v.version, v.active])).toEqual([[1, false], [2, true], [3, false]]);
    expect((await activeModel(stack.app)).version).toBe(2);
    const events = await outboxEvents(stack.app, "classification.model_retrained");
    expect(events.at(-1)!.payload).toEqual({ version: 3, accuracy: summary.accuracy, activated: false });
  });

  it("does not retrain labels it already judged", async () => {
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary).toMatchObject({ skipped: true, activeVersion: 2 });
    expect(String(summary.reason)).toMatch(/version 3/);
    expect(await versions()).toHaveLength(3);
  });
});
