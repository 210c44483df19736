import { describe, expect, it } from "vitest";
import { StatsRecorder, parseStatsHash, summarizeStats } from "@shared/cache/cacheStats";

describe("cache statistics", () => {
  it("computes rates and totals from per-type counters", () => {
    const recorder = new StatsRecorder();
    for (let i = 0; i < 3; i++) recorder.record("search", "hits");
    recorder.record("search", "misses");
    recorder.record("resource", "sets");
    recorder.record("tags", "invalidations");
    const stats = summarizeStats(recorder.localTotals(), "l1");
    expect(stats).toMatchObject({ hits: 3, misses: 1, sets: 1, invalidations: 1, errors: 0, hitRate: 0.75, missRate: 0.25, totalOperations: 6, layers: "l1" });
    expect(stats.byType.search).toMatchObject({ hits: 3, misses: 1, hitRate: 0.75 });
    expect(stats.byType.embedding).toMatchObject({ hits: 0, hitRate: 0 });
    expect(stats.byType.tags).toMatchObject({ invalidations: 1 });
  });

  it("reads the shared hash, ignoring fields it does not understand", () => {
    const counters = parseStatsHash({ "search:hits": "5", "search:bogus": "9", junk: "1", "all:errors": "2" });
    expect(counters.get("search")).toMatchObject({ hits: 5 });
    expect(counters.get("all")).toMatchObject({ errors: 2 });
    expect(counters.size).toBe(2);
  });

  it("answers zero rates when nothing happened", () => {
    expect(summarizeStats(new Map(), "l1")).toMatchObject({ hitRate: 0, missRate: 0, totalOperations: 0 });
  });
});
