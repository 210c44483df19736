import { describe, expect, it } from "vitest";
import { planCovers, planInvalidation } from "@shared/cache/invalidationPlan";

describe("planInvalidation", () => {
  it("turns `<type>:*` into an O(1) type generation bump, not a logged pattern", () => {
    const plan = planInvalidation({ patterns: ["search:*"] });
    expect(plan.wholeTypes).toEqual(["search"]);
    expect(plan.loggedPatterns).toEqual([]);
    expect(plan.buckets).toEqual(["search"]);
  });

  it("bumps every type a bare `*` or a type-prefix pattern covers", () => {
    expect(planInvalidation({ patterns: ["*"] }).wholeTypes).toHaveLength(6);
    expect(planInvalidation({ patterns: ["re*"] }).wholeTypes.sort()).toEqual(["recommendations", "resource"]);
  });

  it("logs narrow patterns for the types they can match", () => {
    const plan = planInvalidation({ patterns: ["resource:abc*", "*:abc"] });
    expect(plan.wholeTypes).toEqual([]);
    expect(plan.loggedPatterns[0]).toEqual({ pattern: "resource:abc*", types: ["resource"] });
    expect(plan.loggedPatterns[1]?.types).toHaveLength(6);
    expect(plan.buckets).toEqual(["resource", "all"]);
  });

  it("treats a pattern without wildcards as the exact key it names and ignores unknown types", () => {
    const plan = planInvalidation({ patterns: ["resource:a\\*b", "nosuchtype:x*", "nosuchtype:x"] });
    expect(plan.keys).toEqual([{ type: "resource", key: "a*b" }]);
    expect(plan.loggedPatterns).toEqual([]);
  });

  it("deduplicates keys and tags", () => {
    const plan = planInvalidation({ keys: [{ type: "resource", key: "1" }, { type: "resource", key: "1" }], tags: ["t", "t"] });
    expect(plan.keys).toHaveLength(1);
    expect(plan.tags).toEqual(["t"]);
  });

  it("planCovers decides which L1 entries an invalidation removes", () => {
    const plan = planInvalidation({ keys: [{ type: "resource", key: "1" }], tags: ["user:7"], patterns: ["neighbors:a*", "search:*"] });
    expect(planCovers(plan, "resource", "resource:1", [])).toBe(true);
    expect(planCovers(plan, "resource", "resource:2", [])).toBe(false);
    expect(planCovers(plan, "recommendations", "recommendations:x", ["user:7"])).toBe(true);
    expect(planCovers(plan, "neighbors", "neighbors:abc", [])).toBe(true);
    expect(planCovers(plan, "neighbors", "neighbors:b", [])).toBe(false);
    expect(planCovers(plan, "search", "search:anything", [])).toBe(true);
  });
});
