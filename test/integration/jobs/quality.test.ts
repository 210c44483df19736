/**
 * Quality degradation and outlier jobs against a real store (libSQL file)
 * in a running stack: scores are written straight into the store between
 * runs, as the quality task would leave them.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { qualitySnapshots } from "@shared/adapters/libsql/schema";
import { QUALITY_DIMENSIONS } from "@shared/domain/quality";
import { createQualityDegradationJob } from "@shared/jobs/qualityDegradation";
import { runJob } from "@shared/jobs/registry";
import { startTestStack, type TestStack } from "../../helpers/stack";
import { flagsOf, insertResource, outboxEvents, setResource } from "./support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

describe("quality degradation", () => {
  const ids: Record<string, string> = {};

  it("first run only takes snapshots", async () => {
    ids.a = await insertResource(stack.app, { qualityScore: 0.8 });
    ids.b = await insertResource(stack.app, { qualityScore: 0.5 });
    ids.c = await insertResource(stack.app, { qualityScore: 0.9 });
    ids.unscored = await insertResource(stack.app, { qualityScore: null });
    const summary = await runJob(stack.app, "quality-degradation");
    expect(summary).toMatchObject({ scored: 3, compared: 0, firstSnapshots: 3, firstRun: true, degraded: 0 });
    const snaps = await stack.app.store.db.select().from(qualitySnapshots);
    expect(new Map(snaps.map((s) => [s.resourceId, s.score]))).toEqual(new Map([[ids.a, 0.8], [ids.b, 0.5], [ids.c, 0.9]]));
    expect(await flagsOf(stack.app, "degraded")).toEqual([]);
  });

  it("records and announces a drop beyond the threshold, and only that", async () => {
    await setResource(stack.app, ids.a!, { qualityScore: 0.6 }); // −0.20: degraded
    await setResource(stack.app, ids.b!, { qualityScore: 0.45 }); // −0.05, −10 %: not
    await setResource(stack.app, ids.c!, { qualityScore: 0.95 }); // up
    const summary = await runJob(stack.app, "quality-degradation");
    expect(summary).toMatchObject({ compared: 3, firstRun: false, degraded: 1, degradedIds: [ids.a] });

    const flags = await flagsOf(stack.app, "degraded");
    expect(flags.map((f) => f.resourceId)).toEqual([ids.a]);
    expect(flags[0]!.details).toMatchObject({ previous: 0.8, current: 0.6, drop: 0.2 });
    const events = await outboxEvents(stack.app, "quality.degraded");
    expect(events.map((e) => e.payload)).toEqual([{ resourceId: ids.a, previous: 0.8, current: 0.6 }]);

    // Snapshots now hold this run's scores: the next run compares against them.
    const [snapA] = await stack.app.store.db.select().from(qualitySnapshots).where(eq(qualitySnapshots.resourceId, ids.a!));
    expect(snapA!.score).toBe(0.6);
  });

  it("does not announce the same drop twice; the relative rule catches small scores", async () => {
    await setResource(stack.app, ids.b!, { qualityScore: 0.35 }); // −0.10 but −22 %
    const summary = await runJob(stack.app, "quality-degradation");
    expect(summary).toMatchObject({ degraded: 1, degradedIds: [ids.b] });
    const events = await outboxEvents(stack.app, "quality.degraded");
    expect(events.map((e) => e.payload.resourceId)).toEqual([ids.a, ids.b]);
    expect((await flagsOf(stack.app, "degraded")).map((f) => f.resourceId).sort()).toEqual([ids.a, ids.b].sort());
  });

  it("clears the flag once the score is back", async () => {
    await setResource(stack.app, ids.a!, { qualityScore: 0.79 });
    const summary = await runJob(stack.app, "quality-degradation");
    expect(summary).toMatchObject({ degraded: 0, recovered: 1 });
    expect((await flagsOf(stack.app, "degraded")).map((f) => f.resourceId)).toEqual([ids.b]);
  });

  it("uses configured thresholds", async () => {
    await setResource(stack.app, ids.c!, { qualityScore: 0.9 }); // −0.05 from 0.95
    const strict = createQualityDegradationJob({ thresholds: { absolute: 0.05, relative: 1 } });
    const summary = await runJob(stack.app, strict);
    expect(summary).toMatchObject({ degraded: 1, degradedIds: [ids.c] });
  });
});

describe("quality outliers", () => {
  // Readability of eleven resources: median 0.5, MAD 0.01, so 0.95 has z = 0.45 / (1.4826 × 0.01) ≈ 30.4,
  // while its classical z-score (mean/std) is only ≈ 3.1: a non-robust implementation misses it.
  const readability = [0.5, 0.5, 0.52, 0.48, 0.51, 0.49, 0.5, 0.53, 0.47, 0.5, 0.95];
  const ids: string[] = [];

  function dimensions(i: number, r: number): Record<string, number> {
    // Every other dimension varies a little and has no outlier.
    return { ...Object.fromEntries(QUALITY_DIMENSIONS.map((d, k) => [d, 0.6 + ((i + k) % 5) * 0.01])), readability: r };
  }

  it("flags the resource that deviates, with its dimension and z, and announces it", async () => {
    for (const [i, r] of readability.entries()) ids.push(await insertResource(stack.app, { qualityScore: 0.6, qualityDimensions: dimensions(i, r) }));
    // Not ingested yet: not judged, whatever its scores.
    await insertResource(stack.app, { ingestionStatus: "pending", qualityDimensions: dimensions(0, 0.0) });

    const summary = await runJob(stack.app, "quality-outliers");
    expect(summary).toMatchObject({ resources: 11, outliers: 1, newOutliers: 1, cleared: 0 });
    const flags = await flagsOf(stack.app, "outlier");
    expect(flags.map((f) => f.resourceId)).toEqual([ids[10]]);
    const details = flags[0]!.details as { dimensions: string[]; deviations: Array<{ dimension: string; z: number; value: number }> };
    expect(details.dimensions).toEqual(["readability"]);
    expect(details.deviations[0]!.value).toBe(0.95);
    expect(details.deviations[0]!.z).toBeCloseTo(0.45 / 0.014826, 1);
    const events = await outboxEvents(stack.app, "quality.outlier_detected");
    expect(events.map((e) => e.payload)).toEqual([{ resourceId: ids[10], dimensions: ["readability"] }]);
  });

  it("does not re-announce an unchanged outlier", async () => {
    const summary = await runJob(stack.app, "quality-outliers");
    expect(summary).toMatchObject({ outliers: 1, newOutliers: 0, changedOutliers: 0 });
    expect(await outboxEvents(stack.app, "quality.outlier_detected")).toHaveLength(1);
  });

  it("clears the flag when the resource is no longer an outlier, and flags a new one", async () => {
    await setResource(stack.app, ids[10]!, { qualityDimensions: dimensions(10, 0.5) });
    await setResource(stack.app, ids[2]!, { qualityDimensions: { ...dimensions(2, 0.52), provenance: 0 } });
    const summary = await runJob(stack.app, "quality-outliers");
    expect(summary).toMatchObject({ outliers: 1, newOutliers: 1, cleared: 1 });
    const flags = await flagsOf(stack.app, "outlier");
    expect(flags.map((f) => f.resourceId)).toEqual([ids[2]]);
    expect((flags[0]!.details as { dimensions: string[] }).dimensions).toEqual(["provenance"]);
  });
});
