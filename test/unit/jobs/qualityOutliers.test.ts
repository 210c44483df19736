/**
 * Outlier detection over quality dimensions: median/MAD modified z-scores.
 * The data sets are chosen so that a mean/standard-deviation z-score would
 * NOT flag the outliers (they inflate the deviation and hide themselves):
 * these tests fail if the robust statistics are replaced or broken.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findQualityOutliers, type OutlierInput } from "@shared/jobs/qualityOutliers";
import { QUALITY_DIMENSIONS } from "@shared/domain/quality";

/** Resources identical on every dimension but `readability`. */
function withReadability(values: number[]): OutlierInput[] {
  return values.map((v, i) => ({
    id: `r${i}`,
    dimensions: { ...Object.fromEntries(QUALITY_DIMENSIONS.map((d) => [d, 0.6])), readability: v },
  }));
}

function meanStdZ(values: number[], x: number): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const std = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
  return (x - mean) / std;
}

describe("findQualityOutliers", () => {
  it("flags the one extreme value with the modified z-score computed by hand", () => {
    const values = [0.5, 0.5, 0.52, 0.48, 0.51, 0.49, 0.5, 0.53, 0.47, 0.5, 0.95];
    // median 0.5; absolute deviations' median 0.01; scale 0.01 × 1.4826; z = 0.45 / 0.014826.
    const { outliers, summaries } = findQualityOutliers(withReadability(values));
    expect([...outliers.keys()]).toEqual(["r10"]);
    const [dev] = outliers.get("r10")!;
    expect(dev!.dimension).toBe("readability");
    expect(dev!.z).toBeCloseTo(0.45 / 0.014826, 2);
    expect(summaries.readability!.median).toBe(0.5);
    expect(summaries.readability!.mad).toBeCloseTo(0.01, 10);
    // The classical z-score would have missed it: this is what the robust version buys.
    expect(Math.abs(meanStdZ(values, 0.95))).toBeLessThan(3.5);
  });

  it("is not masked by several outliers together", () => {
    const cluster = Array.from({ length: 16 }, (_, i) => 0.76 + (i % 9) * 0.01);
    const values = [...cluster, 0.05, 0.05, 0.06, 0.04];
    const { outliers } = findQualityOutliers(withReadability(values));
    expect([...outliers.keys()].sort()).toEqual(["r16", "r17", "r18", "r19"]);
    expect(Math.abs(meanStdZ(values, 0.05))).toBeLessThan(3.5);
  });

  it("names every deviating dimension of a resource", () => {
    const rows = withReadability(Array.from({ length: 12 }, (_, i) => 0.5 + (i % 3) * 0.01));
    rows[3]!.dimensions = { ...rows[3]!.dimensions!, readability: 0.99, provenance: 0 };
    rows.forEach((r, i) => (r.dimensions!.provenance = i === 3 ? 0 : 0.7 + (i % 4) * 0.02));
    const { outliers } = findQualityOutliers(rows);
    expect(outliers.get("r3")!.map((d) => d.dimension).sort()).toEqual(["provenance", "readability"]);
    expect(outliers.size).toBe(1);
  });

  it("does not judge a dimension on too few resources, and skips resources without scores", () => {
    const few = withReadability([0.5, 0.5, 0.51, 0.49, 0.99]);
    expect(findQualityOutliers(few).outliers.size).toBe(0);
    expect(findQualityOutliers(few).skipped).toContain("readability");
    expect(findQualityOutliers(few, { minSample: 5 }).outliers.has("r4")).toBe(true);
    const unscored = [...withReadability([0.5, 0.5, 0.52, 0.48, 0.51, 0.49, 0.5, 0.53, 0.47, 0.5, 0.95]), { id: "x", dimensions: null }];
    expect([...findQualityOutliers(unscored).outliers.keys()]).toEqual(["r10"]);
  });

  it("flags the same resources after any shift and positive rescaling of a dimension (property)", () => {
    fc.assert(
      fc.property(
        // Stored dimensions have four decimals; subnormal floats would only test underflow.
        fc.array(fc.integer({ min: 0, max: 10_000 }).map((n) => n / 10_000), { minLength: 10, maxLength: 40 }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        (values, shift, scale) => {
          const a = [...findQualityOutliers(withReadability(values)).outliers.keys()];
          const b = [...findQualityOutliers(withReadability(values.map((v) => v * scale + shift))).outliers.keys()];
          // Values within float noise of the threshold may flip; compare away from it.
          const near = findQualityOutliers(withReadability(values), { threshold: 3.4 }).outliers.size !== findQualityOutliers(withReadability(values), { threshold: 3.6 }).outliers.size;
          if (!near) expect(b.sort()).toEqual(a.sort());
        },
      ),
      { numRuns: 200 },
    );
  });

  it("always flags a value far outside a tight cluster (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.4, max: 0.6, noNaN: true }), { minLength: 10, maxLength: 40 }),
        fc.boolean(),
        (cluster, high) => {
          const spread = Math.max(...cluster) - Math.min(...cluster);
          const far = high ? 0.6 + 10 * Math.max(spread, 0.01) : 0.4 - 10 * Math.max(spread, 0.01);
          const { outliers } = findQualityOutliers(withReadability([...cluster, far]));
          expect(outliers.has(`r${cluster.length}`)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
