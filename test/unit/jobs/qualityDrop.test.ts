/** The degradation rule: a drop of at least 0.15 points or at least 20 % of the previous score. */
import { describe, expect, it } from "vitest";
import { qualityDrop } from "@shared/jobs/qualityDegradation";

describe("qualityDrop", () => {
  it.each([
    [0.8, 0.65, true, "exactly the absolute threshold"],
    [0.8, 0.66, false, "0.14 points and 17.5 %: neither"],
    [0.5, 0.4, true, "0.10 points but 20 %"],
    [0.5, 0.41, false, "0.09 points and 18 %"],
    [0.1, 0.07, true, "small score, 30 % relative"],
    [0.9, 0.95, false, "an improvement"],
    [0.6, 0.6, false, "unchanged"],
    [0, 0, false, "zero stays zero"],
  ])("%f → %f degraded=%s (%s)", (previous, current, degraded) => {
    expect(qualityDrop(previous, current).degraded).toBe(degraded);
  });

  it("honours other thresholds", () => {
    expect(qualityDrop(0.8, 0.75, { absolute: 0.05, relative: 1 }).degraded).toBe(true);
    expect(qualityDrop(0.8, 0.65, { absolute: 0.2, relative: 0.25 }).degraded).toBe(false);
  });

  it("reports the drop and its share", () => {
    expect(qualityDrop(0.8, 0.6)).toEqual({ degraded: true, drop: 0.2, relativeDrop: 0.25 });
  });
});
