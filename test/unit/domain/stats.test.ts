import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  mad,
  mean,
  median,
  percentile,
  robustOutlierIndices,
  robustSummary,
  robustZScore,
  robustZScores,
} from "@shared/domain/stats";

describe("robust statistics", () => {
  it("median of odd and even samples, ignoring order and non-finite values", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([5, Number.NaN, 1, Number.POSITIVE_INFINITY, 3])).toBe(3);
    expect(median([])).toBeNaN();
  });

  it("MAD of a textbook sample", () => {
    // Deviations from the median 2 are 1,1,0,0,2,4,7 -> median 1.
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
    expect(mean([1, 2, 3, 6])).toBe(3);
  });

  it("percentile interpolates linearly between ranks", () => {
    const xs = [15, 20, 35, 40, 50];
    expect(percentile(xs, 0)).toBe(15);
    expect(percentile(xs, 100)).toBe(50);
    expect(percentile(xs, 50)).toBe(35);
    expect(percentile(xs, 40)).toBeCloseTo(29, 10);
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile(xs, 101)).toThrow(RangeError);
  });

  it("flags the planted outlier and nothing else", () => {
    const scores = [0.61, 0.64, 0.58, 0.66, 0.6, 0.63, 0.59, 0.62, 0.05, 0.65];
    expect(robustOutlierIndices(scores)).toEqual([8]);
    const z = robustZScores(scores);
    expect(z[8]!).toBeLessThan(-3.5);
  });

  it("is not dragged by the outlier the way mean/σ is", () => {
    const base = [10, 11, 9, 10, 12, 10, 11, 9];
    const withOutlier = [...base, 1000];
    expect(median(withOutlier)).toBe(10);
    expect(mean(withOutlier)).toBeGreaterThan(100);
  });

  it("falls back when MAD is 0, and gives 0 to the median itself", () => {
    const values = [5, 5, 5, 5, 5, 6, 9];
    const summary = robustSummary(values);
    expect(summary.mad).toBe(0);
    expect(summary.scale).toBeGreaterThan(0);
    expect(robustZScore(5, summary)).toBe(0);
    expect(robustZScore(9, summary)).toBeGreaterThan(3.5);
    const constant = robustSummary([2, 2, 2]);
    expect(robustZScore(2, constant)).toBe(0);
    expect(robustZScore(3, constant)).toBe(Number.POSITIVE_INFINITY);
  });

  it("median lies between min and max, percentiles are monotone (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (xs, p, q) => {
          const m = median(xs);
          expect(m).toBeGreaterThanOrEqual(Math.min(...xs));
          expect(m).toBeLessThanOrEqual(Math.max(...xs));
          const [lo, hi] = p <= q ? [p, q] : [q, p];
          expect(percentile(xs, lo)).toBeLessThanOrEqual(percentile(xs, hi) + 1e-9);
          expect(percentile(xs, 50)).toBeCloseTo(m, 6);
        },
      ),
    );
  });
});
